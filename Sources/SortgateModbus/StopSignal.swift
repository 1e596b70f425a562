import Glibc

/// A one-way "stop now" signal for a dedicated I/O thread: `wait(for:)` sleeps like a timer unless
/// `signal()` was called, before or during the wait. It cuts poll waits, reply delays and reconnect
/// backoff short when their owner stops, so stopping never waits for a timer to run out.
///
/// A pipe rather than a condition variable: `poll` on the read end with a timeout measured on the
/// monotonic clock is the whole implementation (a wall-clock jump cannot stretch a wait), and since
/// nobody reads the byte `signal()` writes, the pipe stays readable: "stopped for good".
///
/// `@unchecked Sendable`: the descriptors are immutable, and a one-byte pipe write is atomic.
public final class StopSignal: @unchecked Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32

    /// Makes a signal; fails only when the process is out of file descriptors.
    public init() throws(ModbusError) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            let code = errno
            throw ModbusError(errno: code, endpoint: "stop signal", operation: .listen, detail: "pipe() failed")
        }
        for descriptor in descriptors {
            // Not inherited by child processes.
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        }
        // Never block in signal(), even in the impossible case of a full pipe.
        _ = fcntl(descriptors[1], F_SETFL, O_NONBLOCK)
        readEnd = descriptors[0]
        writeEnd = descriptors[1]
    }

    deinit {
        close(readEnd)
        close(writeEnd)
    }

    /// Wakes the current and every later wait at once.
    public func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// True once `signal()` was called.
    public var isSignalled: Bool {
        var entry = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) > 0
    }

    /// Sleeps for `duration` or until signalled; returns true when signalled.
    @discardableResult
    public func wait(for duration: Duration) -> Bool {
        wait(until: ContinuousClock.now + duration)
    }

    /// Sleeps until `deadline` or until signalled; returns true when signalled.
    @discardableResult
    public func wait(until deadline: ContinuousClock.Instant) -> Bool {
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                return isSignalled
            }
            let (seconds, attoseconds) = remaining.components
            // Round up so that a 0.4 ms remainder does not become a busy 0 ms poll.
            let milliseconds = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
            var entry = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            if poll(&entry, 1, Int32(clamping: milliseconds)) > 0 {
                return true
            }
            // 0: timed out, the deadline check ends the loop; -1: EINTR, poll again for the rest.
        }
    }
}
