import SortgateMQTT
import Testing

@Suite("ReconnectBackoff")
struct ReconnectBackoffTests {
    let start = ContinuousClock.now

    @Test("doubles from the minimum and stays at the maximum")
    func doublesUpToMaximum() {
        var backoff = ReconnectBackoff(bounds: .init(minimum: .milliseconds(100), maximum: .seconds(1)))
        let delays = (0..<7).map { backoff.delayAfterFailure(at: start + .seconds($0)) }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                .seconds(1), .seconds(1), .seconds(1),
            ]
        )
    }

    @Test("a stable connection starts the next failure at the minimum again")
    func stableConnectionResets() {
        var backoff = ReconnectBackoff(
            bounds: .init(minimum: .milliseconds(100), maximum: .seconds(30)),
            stableAfter: .seconds(10)
        )
        #expect(backoff.delayAfterFailure(at: start) == .milliseconds(100))
        #expect(backoff.delayAfterFailure(at: start + .seconds(1)) == .milliseconds(200))
        backoff.connectionEstablished(at: start + .seconds(2))
        #expect(backoff.delayAfterFailure(at: start + .seconds(12)) == .milliseconds(100))
        #expect(backoff.delayAfterFailure(at: start + .seconds(13)) == .milliseconds(200))
    }

    @Test("a connection dropped at once keeps growing the delay")
    func flappingConnectionKeepsBackingOff() {
        var backoff = ReconnectBackoff(
            bounds: .init(minimum: .milliseconds(100), maximum: .seconds(30)),
            stableAfter: .seconds(10)
        )
        var delays: [Duration] = []
        for second in 0..<4 {
            backoff.connectionEstablished(at: start + .seconds(second))
            delays.append(backoff.delayAfterFailure(at: start + .seconds(second) + .milliseconds(50)))
        }
        #expect(delays == [.milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800)])
    }

    @Test("minimum equal to maximum gives a constant delay")
    func constantDelay() {
        var backoff = ReconnectBackoff(bounds: .init(minimum: .seconds(2), maximum: .seconds(2)))
        #expect(
            (0..<3).map { backoff.delayAfterFailure(at: start + .seconds($0)) } == [
                .seconds(2), .seconds(2), .seconds(2),
            ]
        )
    }
}
