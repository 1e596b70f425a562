import Foundation
@testable import SortgateGateway
import Testing

@Suite("CommitSignal (the central shipper's wake-up)")
struct CommitSignalTests {
    @Test("A signal given before the wait ends the next wait at once, and only that one")
    func kept() async {
        let signal = CommitSignal()
        signal.signal()
        signal.signal()
        let clock = ContinuousClock()
        let first = await clock.measure { await signal.wait(upTo: .seconds(30)) }
        #expect(first < .seconds(10))
        // Two signals without a waiter are one wake-up: the next wait runs to its limit.
        let second = await clock.measure { await signal.wait(upTo: .milliseconds(300)) }
        #expect(second >= .milliseconds(300))
    }

    @Test("A signal during the wait ends it long before its limit")
    func wakes() async {
        let signal = CommitSignal()
        let clock = ContinuousClock()
        async let waited = clock.measure { await signal.wait(upTo: .seconds(30)) }
        try? await Task.sleep(for: .milliseconds(200))
        signal.signal()
        let elapsed = await waited
        #expect(elapsed >= .milliseconds(150))
        #expect(elapsed < .seconds(10))
    }

    @Test("A cancelled wait returns")
    func cancelled() async {
        let signal = CommitSignal()
        let clock = ContinuousClock()
        let task = Task { await clock.measure { await signal.wait(upTo: .seconds(30)) } }
        try? await Task.sleep(for: .milliseconds(100))
        task.cancel()
        #expect(await task.value < .seconds(10))
    }
}
