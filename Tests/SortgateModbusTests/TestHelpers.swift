import Logging
import SortgateCore
import SortgateModbus
import SortgateThreads
import SortgateTestSupport
import Synchronization

/// Runs blocking Modbus calls on a dedicated thread, as production code does, so that a test never
/// blocks a thread of Swift's cooperative pool (other tests run there meanwhile).
func onDedicatedThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        do {
            _ = try DedicatedThread.spawn(name: "test", endpoint: "test") {
                continuation.resume(with: Result { try body() })
            }
        } catch {
            continuation.resume(throwing: error)
        }
    }
}

/// The `ModbusError` a blocking read throws, or nil when it succeeded.
func readFailure(_ body: @escaping @Sendable () throws -> [UInt16]) async throws -> ModbusError? {
    try await onDedicatedThread { () -> ModbusError? in
        do {
            _ = try body()
            return nil
        } catch let error as ModbusError {
            return error
        }
    }
}

/// A TCP connection to 127.0.0.1:`port` with test timeouts: 200 ms per request, a short reconnect
/// backoff so that recovery shows within a test.
func loopbackConnection(
    port: Int,
    timeout: Duration = .milliseconds(200),
    backoff: Backoff.Bounds = Backoff.Bounds(
        minimum: .milliseconds(50),
        maximum: .milliseconds(200)
    )
) -> ModbusConnection {
    ModbusConnection(
        configuration: ModbusConnection.Configuration(
            endpoint: .tcp(host: "127.0.0.1", port: port),
            responseTimeout: timeout,
            reconnectBackoff: backoff
        ),
        logger: quietLogger
    )
}

/// Counts something across threads (requests seen by a handler).
final class Counter: Sendable {
    private let value = Mutex(0)

    /// Adds one and returns the new count.
    func next() -> Int {
        value.withLock {
            $0 += 1
            return $0
        }
    }

    var current: Int {
        value.withLock { $0 }
    }
}
