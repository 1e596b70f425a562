import Dispatch
import Glibc

/// A dedicated OS thread for blocking libmodbus calls, so that no thread of Swift's cooperative pool
/// ever blocks on a socket or a serial port.
///
/// libmodbus is blocking by design (`select` with the response timeout inside every request), and its
/// contexts are not thread-safe: each connection gets one of these, which owns the context for its
/// whole life. The thread is detached; `join()` waits for its body to return.
///
/// `Sendable`: the only state is a semaphore, itself thread-safe.
public final class ModbusThread: Sendable {
    private final class Body {
        let name: String
        let run: () -> Void
        let finished: DispatchSemaphore

        init(name: String, run: @escaping () -> Void, finished: DispatchSemaphore) {
            self.name = name
            self.run = run
            self.finished = finished
        }
    }

    private let finished = DispatchSemaphore(value: 0)
    /// What the thread is for (`modbus 127.0.0.1:502`), for debugging.
    public let name: String

    private init(name: String) {
        self.name = name
    }

    /// Starts `body` on a new thread named `name`; `endpoint` names what it serves in the error when
    /// the system refuses another thread.
    public static func spawn(
        name: String,
        endpoint: String,
        _ body: @escaping @Sendable () -> Void
    ) throws(ModbusError) -> ModbusThread {
        let thread = ModbusThread(name: name)
        let box = Unmanaged.passRetained(Body(name: name, run: body, finished: thread.finished))
        var handle = pthread_t()
        let result = pthread_create(
            &handle,
            nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                body.run()
                body.finished.signal()
                return nil
            },
            box.toOpaque()
        )
        guard result == 0 else {
            box.release()
            throw ModbusError(errno: result, endpoint: endpoint, operation: .connect, detail: "cannot start a thread")
        }
        // Nobody calls pthread_join: join() waits on the semaphore, and the system reclaims the thread.
        pthread_detach(handle)
        return thread
    }

    /// Blocks until the body returned. Call it from a dedicated thread or at shutdown, never from the
    /// body itself; calling it again returns at once.
    public func join() {
        finished.wait()
        finished.signal()
    }

    /// Waits for every thread in `threads` without blocking a thread of the cooperative pool: one
    /// short-lived helper thread does the blocking joins.
    public static func join(_ threads: [ModbusThread]) async {
        guard !threads.isEmpty else {
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                _ = try ModbusThread.spawn(name: "modbus-join", endpoint: "join") {
                    for thread in threads {
                        thread.join()
                    }
                    continuation.resume()
                }
            } catch {
                // No thread to spare: join here; the threads were told to stop and end within one
                // response timeout.
                for thread in threads {
                    thread.join()
                }
                continuation.resume()
            }
        }
    }
}
