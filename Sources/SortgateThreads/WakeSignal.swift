import Glibc
import Synchronization

/// A signal a thread can wait on with a timeout, and any thread can wake: the "stop now" of the
/// MQTT network thread and the Modbus line threads (it cuts a reconnect backoff or a poll wait short,
/// so stopping never waits for a timer to run out), and the parking spot of the event ring.
///
/// It counts: `epoch` is the number of `signal()` calls so far. A stop signal is signalled once and
/// stays signalled: `wait(for:)` and `wait(until:)` return at once after the first `signal()`. A
/// waiter that needs every wake-up, like the ring's consumer, reads `epoch` before it checks its
/// condition for the last time and then waits with `wait(whileEpochIs:for:)`, so a `signal()`
/// between the check and the wait is never lost.
///
/// A mutex and a condition variable on `CLOCK_MONOTONIC`, so that a wall-clock jump neither
/// stretches nor cuts a wait; the epoch is also an atomic, so that reading it takes no lock.
///
/// `@unchecked Sendable`: the mutex and condition variable are allocated once, never move, and are
/// only used through pthread calls, which are thread-safe; the epoch only changes with the mutex held.
public final class WakeSignal: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let condition: UnsafeMutablePointer<pthread_cond_t>
    private let count = Atomic<UInt64>(0)

    public init() {
        mutex = .allocate(capacity: 1)
        condition = .allocate(capacity: 1)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        // Both only fail for invalid attributes or (not on Linux) missing resources.
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init failed")
        precondition(pthread_cond_init(condition, &attributes) == 0, "pthread_cond_init failed")
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// The number of `signal()` calls so far.
    public var epoch: UInt64 {
        count.load(ordering: .acquiring)
    }

    /// True once `signal()` was called.
    public var isSignalled: Bool {
        epoch != 0
    }

    /// Increments `epoch` and wakes every waiting thread.
    public func signal() {
        pthread_mutex_lock(mutex)
        count.wrappingAdd(1, ordering: .releasing)
        pthread_cond_broadcast(condition)
        pthread_mutex_unlock(mutex)
    }

    /// Sleeps for `duration` or until signalled, now or before; returns true when signalled.
    @discardableResult
    public func wait(for duration: Duration) -> Bool {
        wait(until: ContinuousClock.now + duration)
    }

    /// Sleeps until `deadline` or until signalled, now or before; returns true when signalled.
    @discardableResult
    public func wait(until deadline: ContinuousClock.Instant) -> Bool {
        wait(whileEpochIs: 0, until: deadline)
        return isSignalled
    }

    /// Waits until `epoch` differs from `observed` or `timeout` passed.
    public func wait(whileEpochIs observed: UInt64, for timeout: Duration) {
        wait(whileEpochIs: observed, until: ContinuousClock.now + timeout)
    }

    /// Waits until `epoch` differs from `observed` or `deadline` passed.
    public func wait(whileEpochIs observed: UInt64, until deadline: ContinuousClock.Instant) {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        while count.load(ordering: .relaxed) == observed {
            let remaining = ContinuousClock.now.duration(to: deadline)
            if remaining <= .zero {
                return
            }
            // The deadline is measured on ContinuousClock and re-checked after every wake-up; the
            // condition variable's own clock only has to run at the same rate.
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            let (seconds, attoseconds) = remaining.components
            var nanoseconds = Int64(now.tv_nsec) + attoseconds / 1_000_000_000
            var wholeSeconds = Int64(now.tv_sec) + min(seconds, Int64(Int32.max))
            if nanoseconds >= 1_000_000_000 {
                nanoseconds -= 1_000_000_000
                wholeSeconds += 1
            }
            var wakeAt = timespec(tv_sec: Int(wholeSeconds), tv_nsec: Int(nanoseconds))
            // ETIMEDOUT, EINTR and spurious wake-ups all end the same way: check again.
            _ = pthread_cond_timedwait(condition, mutex, &wakeAt)
        }
    }
}
