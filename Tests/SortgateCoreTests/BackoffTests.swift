import Testing

import SortgateCore

/// The one backoff, with the bounds of each of its users: MQTT reconnect (100 ms…30 s), Modbus
/// reconnect (100 ms…30 s) and alert delivery retry (200 ms…30 s).
@Suite("Backoff")
struct BackoffTests {
    @Test("doubles from the minimum to the maximum and starts over after a success")
    func doublesAndStartsOver() {
        var backoff = Backoff(bounds: Backoff.Bounds(minimum: .milliseconds(100), maximum: .milliseconds(1000)))
        #expect(backoff.currentDelay == .zero)
        let delays = (0..<6).map { _ in backoff.recordFailure() }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1000),
                .milliseconds(1000),
            ]
        )
        #expect(backoff.consecutiveFailures == 6)
        #expect(backoff.currentDelay == .milliseconds(1000))
        backoff.recordSuccess()
        #expect(backoff.consecutiveFailures == 0)
        #expect(backoff.recordFailure() == .milliseconds(100))
    }

    @Test("stays at the maximum once it reached it")
    func staysAtMaximum() {
        var backoff = Backoff(bounds: .init(minimum: .milliseconds(100), maximum: .seconds(1)))
        let delays = (0..<7).map { _ in backoff.recordFailure() }
        #expect(
            delays == [
                .milliseconds(100), .milliseconds(200), .milliseconds(400), .milliseconds(800),
                .seconds(1), .seconds(1), .seconds(1),
            ]
        )
    }

    @Test("the defaults are the reconnect bounds of MQTT and Modbus: 100 ms to 30 s")
    func defaults() {
        var backoff = Backoff()
        #expect(backoff.bounds == Backoff.Bounds(minimum: .milliseconds(100), maximum: .seconds(30)))
        let delays = (0..<10).map { _ in backoff.recordFailure() }
        #expect(delays.first == .milliseconds(100))
        #expect(delays[8] == .milliseconds(25600))
        #expect(delays.last == .seconds(30))
    }

    @Test("alert retry bounds: 200 ms doubling to 30 s, back to 200 ms after an acknowledgement")
    func alertRetry() {
        var backoff = Backoff(bounds: .init(minimum: .milliseconds(200), maximum: .seconds(30)))
        let delays = (0..<10).map { _ in backoff.recordFailure() }
        #expect(
            delays == [
                .milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1600), .milliseconds(3200),
                .milliseconds(6400), .milliseconds(12800), .milliseconds(25600), .seconds(30), .seconds(30),
            ]
        )
        backoff.recordSuccess()
        #expect(backoff.recordFailure() == .milliseconds(200))
    }

    @Test("a connection established between failures starts the next failure at the minimum again")
    func establishedConnectionResets() {
        var backoff = Backoff(bounds: .init(minimum: .milliseconds(100), maximum: .seconds(30)))
        #expect(backoff.recordFailure() == .milliseconds(100))
        #expect(backoff.recordFailure() == .milliseconds(200))
        backoff.recordSuccess()
        #expect(backoff.recordFailure() == .milliseconds(100))
        #expect(backoff.recordFailure() == .milliseconds(200))
    }

    /// Issue 15 item 7: after a run of failed attempts, a connection that came back and was lost
    /// again a second later was retried after the escalated delay (3.2 s), because the count only
    /// went back to zero after 10 s of stable connection.
    @Test("after failed attempts, a connection lost one second after it was established is retried after 100 ms")
    func freshLossRetriesAtMinimum() {
        var backoff = Backoff(bounds: .init(minimum: .milliseconds(100), maximum: .seconds(30)))
        let attempts = (0..<6).map { _ in backoff.recordFailure() }
        #expect(attempts.last == .milliseconds(3200))
        backoff.recordSuccess()  // CONNACK accepted
        #expect(backoff.recordFailure() == .milliseconds(100))  // lost: the broker restarts
        #expect(backoff.recordFailure() == .milliseconds(200))  // still down: escalate again
    }

    @Test("minimum equal to maximum gives a constant delay")
    func constantDelay() {
        var backoff = Backoff(bounds: .init(minimum: .seconds(2), maximum: .seconds(2)))
        #expect((0..<3).map { _ in backoff.recordFailure() } == [.seconds(2), .seconds(2), .seconds(2)])
    }

    @Test("a zero minimum retries at once and never loops")
    func zeroMinimum() {
        var backoff = Backoff(bounds: .init(minimum: .zero, maximum: .seconds(1)))
        #expect((0..<3).map { _ in backoff.recordFailure() } == [.zero, .zero, .zero])
    }
}
