import Dispatch

/// Runs an async body to completion from libFuzzer's synchronous callback.
///
/// The capture readers are `async` because the gateway's replay awaits its sinks; under the
/// fuzzer nothing they call suspends for long, so blocking this thread on a semaphore is safe
/// (the body runs on the global executor, never on this thread).
public func runBlocking(_ body: @escaping @Sendable () async -> Void) {
    let done = DispatchSemaphore(value: 0)
    Task {
        await body()
        done.signal()
    }
    done.wait()
}
