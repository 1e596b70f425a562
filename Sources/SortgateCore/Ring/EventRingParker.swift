/// How a thread of the event ring waits: the ring itself is pure Swift and never blocks in the
/// OS, so the waiting part is injected (the gateway's is SortgateThreads' `WakeSignal`,
/// a condition variable).
///
/// The contract is an *epoch*: `unparkAll()` increments it and wakes every parked thread;
/// `park(observed:timeout:)` returns at once when the epoch no longer equals `observed`, else
/// waits until it changes or `timeout` passes. A waiter reads the epoch *before* it checks its
/// condition for the last time, so a wake-up that comes between that check and the park is
/// never lost. Spurious returns are allowed: callers re-check their condition.
public protocol EventRingParker: AnyObject, Sendable {
    /// The number of `unparkAll()` calls so far.
    var epoch: UInt64 { get }
    /// Waits until the epoch differs from `observed` or `timeout` passed.
    func park(observed: UInt64, timeout: Duration)
    /// Increments the epoch and wakes every parked thread.
    func unparkAll()
}
