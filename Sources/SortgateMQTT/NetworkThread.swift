import Glibc

/// A dedicated OS thread for one client's blocking network loop (`select` inside `mosquitto_loop`),
/// so that no thread of Swift's cooperative pool ever blocks on the socket.
///
/// `@unchecked Sendable`: `thread` is written once by `spawn` before the value is shared and only
/// read afterwards (`join`, `isCurrent`).
final class NetworkThread: @unchecked Sendable {
    private final class Body {
        let run: () -> Void

        init(_ run: @escaping () -> Void) {
            self.run = run
        }
    }

    private var thread = pthread_t()

    private init() {}

    /// Starts `body` on a new thread; `broker` names the client's broker in the error if that fails.
    static func spawn(broker: String, _ body: @escaping @Sendable () -> Void) throws(MQTTError) -> NetworkThread {
        let networkThread = NetworkThread()
        let box = Unmanaged.passRetained(Body(body))
        let result = pthread_create(
            &networkThread.thread,
            nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                body.run()
                return nil
            },
            box.toOpaque()
        )
        guard result == 0 else {
            box.release()
            throw MQTTError(
                code: .errno,
                message: String(cString: strerror(result)),
                operation: "start network thread",
                broker: broker
            )
        }
        return networkThread
    }

    /// Waits until the thread's body returned.
    func join() {
        _ = pthread_join(thread, nil)
    }

    /// True when called on this thread (joining it from itself would never return).
    var isCurrent: Bool {
        pthread_equal(thread, pthread_self()) != 0
    }
}
