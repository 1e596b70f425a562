import Glibc

/// A one-way "stop now" signal for the network thread: `wait(for:)` sleeps like a timer unless
/// `signal()` was called, before or during the wait. It cuts the reconnect backoff short when the
/// client is stopped, so `stop()` never waits for a 30 s backoff to run out.
///
/// A pipe rather than a condition variable: `poll` with a timeout on the read end is the whole
/// implementation, and since nobody reads the byte `signal()` writes, the pipe stays readable, which
/// is exactly the "stopped for good" meaning.
///
/// `@unchecked Sendable`: the descriptors are immutable, and a one-byte pipe write is atomic.
final class WakeSignal: @unchecked Sendable {
    private let readEnd: Int32
    private let writeEnd: Int32

    init(owner: String) throws(MQTTError) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else {
            let code = errno
            throw MQTTError(
                code: .errno,
                message: String(cString: strerror(code)),
                operation: "create the network thread's wake-up pipe",
                broker: owner
            )
        }
        for descriptor in descriptors {
            // Not inherited by child processes (a gateway may start helpers).
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

    /// Wakes the current and every later `wait(for:)` at once.
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Sleeps for `duration` or until signalled; returns true when signalled.
    func wait(for duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        while true {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                return false
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
