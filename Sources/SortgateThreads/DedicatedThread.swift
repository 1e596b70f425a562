import Glibc

/// A dedicated, named OS thread for blocking work: libmosquitto's network loop (`select` inside
/// `mosquitto_loop`) and libmodbus requests (`select` with the response timeout inside every call),
/// so that no thread of Swift's cooperative pool ever blocks on a socket or a serial port.
///
/// The thread is detached; `join()` waits for its body to return and may be called any number of
/// times, from any thread but the one it waits for. The name (at most 15 bytes, the kernel's limit)
/// shows in `top -H`, `gdb` and core dumps.
public final class DedicatedThread: Sendable {
    private final class Body {
        let name: String
        let run: () -> Void
        let finished: WakeSignal

        init(name: String, run: @escaping () -> Void, finished: WakeSignal) {
            self.name = name
            self.run = run
            self.finished = finished
        }
    }

    /// What the thread is for (`modbus 127.0.0.1:502`, `mqtt 127.0.0.1:1883`).
    public let name: String
    private let handle: pthread_t
    private let finished: WakeSignal

    private init(name: String, handle: pthread_t, finished: WakeSignal) {
        self.name = name
        self.handle = handle
        self.finished = finished
    }

    /// Starts `body` on a new thread named `name`; throws when the system refuses another thread.
    public static func spawn(
        name: String,
        _ body: @escaping @Sendable () -> Void
    ) throws(ThreadStartError) -> DedicatedThread {
        let finished = WakeSignal()
        let box = Unmanaged.passRetained(Body(name: name, run: body, finished: finished))
        var handle = pthread_t()
        let result = pthread_create(
            &handle,
            nil,
            { argument in
                let body = Unmanaged<Body>.fromOpaque(argument!).takeRetainedValue()
                nameCurrentThread(body.name)
                body.run()
                body.finished.signal()
                return nil
            },
            box.toOpaque()
        )
        guard result == 0 else {
            box.release()
            throw ThreadStartError(name: name, errorNumber: result)
        }
        // Nobody calls pthread_join: join() waits on `finished`, and the system reclaims the thread.
        pthread_detach(handle)
        return DedicatedThread(name: name, handle: handle, finished: finished)
    }

    /// Blocks until the body returned. Call it from another dedicated thread or at shutdown, never
    /// from the body itself (see `isCurrent`) nor from a task of the cooperative pool (see
    /// `join(_:)`); calling it again returns at once.
    public func join() {
        while !finished.wait(for: .seconds(3600)) {}
    }

    /// True when called on this thread, whose `join()` would never return.
    public var isCurrent: Bool {
        // Once the body returned the handle may be reused by a new thread: only compare before.
        !finished.isSignalled && pthread_equal(handle, pthread_self()) != 0
    }

    /// Waits for every thread in `threads` without blocking a thread of the cooperative pool: one
    /// short-lived helper thread does the blocking joins.
    public static func join(_ threads: [DedicatedThread]) async {
        guard !threads.isEmpty else {
            return
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            do {
                _ = try DedicatedThread.spawn(name: "join") {
                    for thread in threads {
                        thread.join()
                    }
                    continuation.resume()
                }
            } catch {
                // No thread to spare: join here; the threads were told to stop and end soon.
                for thread in threads {
                    thread.join()
                }
                continuation.resume()
            }
        }
    }
}

/// Names the calling thread for `top -H`, `perf`, `gdb` and core dumps. Glibc's `pthread_setname_np`
/// is a GNU extension the Swift Glibc module does not declare, so it is looked up by name; without
/// it the thread just keeps the name it inherited from the thread that started it.
///
/// Foundation's `Thread.name` does not reach the kernel on Linux: a `Thread` started from a task
/// shows as one more `…default-qos` thread of Swift's cooperative pool unless its body calls this.
public func nameCurrentThread(_ name: String) {
    typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    guard let symbol = dlsym(nil, "pthread_setname_np") else {
        return
    }
    // The kernel keeps 15 bytes and a NUL; a longer name makes the call fail (ERANGE).
    let bytes = Array(name.utf8.prefix(15).map { CChar(bitPattern: $0) }) + [0]
    _ = unsafeBitCast(symbol, to: SetName.self)(pthread_self(), bytes)
}

/// The system refused to start a thread (`pthread_create` failed: `EAGAIN` when a process or user
/// thread limit is reached).
public struct ThreadStartError: Error, Sendable, CustomStringConvertible {
    /// The name of the thread that could not be started.
    public var name: String
    /// `pthread_create`'s result, an errno value.
    public var errorNumber: Int32

    public init(name: String, errorNumber: Int32) {
        self.name = name
        self.errorNumber = errorNumber
    }

    public var description: String {
        "cannot start thread '\(name)': \(String(cString: strerror(errorNumber)))"
    }
}
