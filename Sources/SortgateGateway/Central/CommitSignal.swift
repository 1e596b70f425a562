import Synchronization

/// Tells a loop that looks at an outbox that a batch committed, so that it looks at once instead of
/// at its next poll: the central shipper (`central.interval`) and each alert delivery route. One
/// waiter at a time, the loop's.
///
/// A signal with no waiter is kept for the next wait; a wait may also return early without one
/// (after a cancelled wait): the loop only looks at its outbox again, which is harmless.
final class CommitSignal: Sendable {
    private struct State {
        var pending = false
        var cancelled = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// A batch committed: wakes the waiting shipper, or the next wait.
    func signal() {
        takeWaiter(orRecord: \.pending)?.resume()
    }

    /// The stored waiter, taken; when there is none, `flag` is set for the next wait instead.
    private func takeWaiter(orRecord flag: WritableKeyPath<State, Bool>) -> CheckedContinuation<Void, Never>? {
        state.withLock { state in
            guard let waiter = state.waiter else {
                state[keyPath: flag] = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
    }

    /// Returns at the next signal (at once if one came since the last wait), after `limit`, or when
    /// the calling task is cancelled.
    func wait(upTo limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.next() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func next() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.pending || state.cancelled {
                        state.pending = false
                        state.cancelled = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            // Before the waiter is stored, the flag makes the body return at once.
            takeWaiter(orRecord: \.cancelled)?.resume()
        }
    }
}
