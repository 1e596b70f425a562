import Testing

@testable import SortgateCore

@Suite("MinuteAggregator")
struct ColdChainMinuteAggregatorTests {
    let sensor = ColdChainSubject.sensor(SourceID(1))
    let other = ColdChainSubject.sensor(SourceID(2))

    func t(_ minutes: Int64, seconds: Int64 = 0) -> EventTime { coldChainTime(minutes, seconds: seconds) }

    @Test("A minute is emitted with exact min/mean/max/count when a reading of a later minute arrives")
    func laterReadingFinishesTheMinute() {
        var aggregator = MinuteAggregator()
        var out: [MinuteAggregate] = []
        aggregator.observe(sensor, at: t(0, seconds: 5), celsius: 4.5, into: &out)
        aggregator.observe(sensor, at: t(0, seconds: 50), celsius: 6.25, into: &out)
        aggregator.observe(sensor, at: t(0, seconds: 20), celsius: 3.75, into: &out)  // any order within the minute
        aggregator.observe(sensor, at: t(0, seconds: 59) + .nanoseconds(999_999_999), celsius: 5.5, into: &out)
        #expect(out.isEmpty)
        aggregator.observe(sensor, at: t(1), celsius: 7, into: &out)  // 08:01:00 belongs to the next minute
        #expect(
            out == [
                MinuteAggregate(
                    subject: sensor,
                    minute: t(0),
                    count: 4,
                    minCelsius: 3.75,
                    maxCelsius: 6.25,
                    sumCelsius: 20
                )
            ]
        )
        #expect(out.first?.meanCelsius == 5)
        #expect(aggregator.openMinute(of: sensor)?.minute == t(1))
    }

    @Test("advance(to:) emits minutes that ended at or before it, in order, and not one nanosecond earlier")
    func advanceFinishesMinutes() {
        var aggregator = MinuteAggregator()
        var out: [MinuteAggregate] = []
        aggregator.observe(other, at: t(0, seconds: 30), celsius: 2, into: &out)
        aggregator.observe(sensor, at: t(0, seconds: 10), celsius: 1, into: &out)
        aggregator.advance(to: t(1) - .nanoseconds(1), into: &out)
        #expect(out.isEmpty)
        aggregator.advance(to: t(1), into: &out)
        #expect(out.map(\.subject) == [other, sensor])
        #expect(out.map(\.count) == [1, 1])
        aggregator.advance(to: t(10), into: &out)
        #expect(out.count == 2)
    }

    @Test("A reading does not finish other subjects' minutes: a late burst still aggregates whole")
    func otherSubjectsAreIndependent() {
        var aggregator = MinuteAggregator()
        var out: [MinuteAggregate] = []
        aggregator.observe(sensor, at: t(5), celsius: 5, into: &out)
        for second in Int64(0)..<6 {
            aggregator.observe(other, at: t(1, seconds: second * 10), celsius: Double(second), into: &out)
        }
        #expect(out.isEmpty)
        aggregator.advance(to: t(6), into: &out)
        #expect(
            out == [
                MinuteAggregate(subject: other, minute: t(1), count: 6, minCelsius: 0, maxCelsius: 5, sumCelsius: 15),
                MinuteAggregate(subject: sensor, minute: t(5), count: 1, minCelsius: 5, maxCelsius: 5, sumCelsius: 5),
            ]
        )
    }

    @Test("Readings of a finished minute, or older than the open one, are dropped and counted")
    func lateReadings() {
        var aggregator = MinuteAggregator()
        var out: [MinuteAggregate] = []
        aggregator.observe(sensor, at: t(0), celsius: 5, into: &out)
        aggregator.advance(to: t(1), into: &out)
        aggregator.observe(sensor, at: t(0, seconds: 30), celsius: 9, into: &out)  // minute 0 already emitted
        aggregator.observe(sensor, at: t(3), celsius: 5, into: &out)
        aggregator.observe(sensor, at: t(2), celsius: 9, into: &out)  // older than the open minute 3
        aggregator.observe(sensor, at: t(3), celsius: .nan, into: &out)
        #expect(aggregator.lateReadings == 2)
        #expect(aggregator.nonFiniteReadings == 1)
        aggregator.flush(into: &out)
        #expect(out.map(\.minute) == [t(0), t(3)])
        #expect(out.map(\.maxCelsius) == [5, 5])
    }

    @Test("Minutes are floored in UTC, before the epoch too")
    func flooring() {
        #expect(MinuteAggregator.minute(of: EventTime(nanoseconds: 0)) == EventTime(nanoseconds: 0))
        #expect(MinuteAggregator.minute(of: EventTime(nanoseconds: -1)) == EventTime(seconds: -60))
        #expect(MinuteAggregator.minute(of: EventTime(seconds: -60)) == EventTime(seconds: -60))
        #expect(
            MinuteAggregator.minute(of: EventTime(seconds: 1_800_000_059, nanoseconds: 999))
                == EventTime(seconds: 1_800_000_000)
        )
    }

    @Test("A day of readings every 10 s becomes 1 440 exact rows")
    func aDay() {
        var aggregator = MinuteAggregator()
        var out: [MinuteAggregate] = []
        for step in Int64(0)..<(6 * 1440) {
            aggregator.observe(sensor, at: t(0, seconds: step * 10), celsius: Double(step % 6), into: &out)
        }
        aggregator.advance(to: t(1440), into: &out)
        #expect(out.count == 1440)
        #expect(out.allSatisfy { $0.count == 6 && $0.minCelsius == 0 && $0.maxCelsius == 5 && $0.meanCelsius == 2.5 })
    }
}
