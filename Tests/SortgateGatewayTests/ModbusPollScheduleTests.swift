import SortgateConfig
import SortgateIngest
import SortgateGateway
import Testing

@Suite("Poll schedule")
struct ModbusPollScheduleTests {
    let start = ContinuousClock.now

    @Test("a healthy device is polled at a fixed rate, without drift")
    func fixedRate() {
        var schedule = ModbusPollSchedule(period: .milliseconds(200), maximumBackoff: .seconds(60), firstDue: start)
        #expect(schedule.due == start)
        schedule.recordSuccess(finishedAt: start + .milliseconds(3))
        #expect(schedule.due == start + .milliseconds(200))
        schedule.recordSuccess(finishedAt: start + .milliseconds(210))
        #expect(schedule.due == start + .milliseconds(400))
    }

    @Test("a line that fell behind polls at once, without catching up on missed polls")
    func fallingBehind() {
        var schedule = ModbusPollSchedule(period: .milliseconds(200), maximumBackoff: .seconds(60), firstDue: start)
        #expect(!schedule.isLate(startedAt: start + .milliseconds(200)))
        #expect(schedule.isLate(startedAt: start + .milliseconds(201)))
        schedule.recordSuccess(finishedAt: start + .milliseconds(650))
        #expect(schedule.due == start + .milliseconds(650))
    }

    @Test("failures back off 2, 4, 8 … periods up to the maximum, and a success resets the rate")
    func backoff() {
        var schedule = ModbusPollSchedule(period: .milliseconds(200), maximumBackoff: .seconds(1), firstDue: start)
        var now = start
        var delays: [Duration] = []
        for _ in 0..<5 {
            let delay = schedule.recordFailure(finishedAt: now)
            delays.append(delay)
            #expect(schedule.due == now + delay)
            now = schedule.due
        }
        #expect(
            delays == [.milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1), .seconds(1)]
        )
        #expect(schedule.consecutiveFailures == 5)
        schedule.recordSuccess(finishedAt: now + .milliseconds(1))
        #expect(schedule.consecutiveFailures == 0)
        #expect(schedule.due == now + .milliseconds(200))
        #expect(schedule.recordFailure(finishedAt: now) == .milliseconds(400))
    }
}
