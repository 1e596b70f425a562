/// Polls `condition` every `interval` until it holds or `timeout` passed, and returns its last value.
/// Tests wait for a state with this instead of sleeping for a fixed time: they are as fast as the
/// system allows and still tolerate a slow machine.
public func eventually(
    timeout: Duration = .seconds(10),
    interval: Duration = .milliseconds(20),
    _ condition: () throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try condition() {
            return true
        }
        if ContinuousClock.now >= deadline {
            return false
        }
        try? await Task.sleep(for: interval)
    }
}
