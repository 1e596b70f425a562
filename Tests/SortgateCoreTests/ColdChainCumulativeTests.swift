import Testing

@testable import SortgateCore

@Suite("ExcursionDetector: cumulative limits")
struct ColdChainCumulativeTests {
    let room = ColdChainSubject.zone(ZoneID(0))

    func t(_ minutes: Int64, seconds: Int64 = 0) -> EventTime { coldChainTime(minutes, seconds: seconds) }

    func limits(
        side: CumulativeLimit.Side = .above,
        limit: Double = 8,
        windowMinutes: Int64 = 60,
        allowedMinutes: Int64 = 10,
        alarmDelay: Duration = .seconds(300),
        offlineAfter: Duration? = nil
    ) throws -> TemperatureLimits {
        try TemperatureLimits(
            min: 2,
            max: 8,
            alarmDelay: alarmDelay,
            cumulative: try CumulativeLimit(
                limit: limit,
                side: side,
                window: .seconds(windowMinutes * 60),
                allowed: .seconds(allowedMinutes * 60)
            ),
            offlineAfter: offlineAfter
        )
    }

    @Test("Short spikes, each under the alarm delay, add up: raised when 10 minutes within the hour are reached")
    func shortSpikesAddUp() throws {
        var detector = ExcursionDetector()
        detector.monitor(room, limits: try limits())
        var alerts: [AlertEvent] = []
        // Three-minute spikes at minutes 0, 10, 20 and 30, one reading a minute; exposure is
        // [0,3) + [10,13) + [20,23) = 9 minutes when the fourth spike starts at 30, so the
        // hour's total reaches 10 minutes at 31 exactly.
        var values: [Int64: Double] = [:]
        for minute in Int64(0)...40 { values[minute] = 5 }
        values[0] = 9
        values[1] = 9.5
        values[2] = 9
        values[10] = 10
        values[11] = 9
        values[12] = 9
        values[20] = 9.2
        values[21] = 9
        values[22] = 9
        values[30] = 9
        values[31] = 9.2
        values[32] = 10.5
        for minute in Int64(0)...40 { detector.observe(room, at: t(minute), celsius: values[minute]!, into: &alerts) }
        // Total 12 minutes; the tail of the window eats [0,3) from 60 on: below 10 after 62.
        detector.advance(to: t(120), into: &alerts)
        #expect(
            alerts == [
                alert(.raised, .cumulative, room, startedAt: t(0), at: t(31), peak: 10),
                alert(.updated, .cumulative, room, startedAt: t(0), at: t(32), confirmedAt: t(31), peak: 10.5),
                alert(.cleared, .cumulative, room, startedAt: t(0), at: t(62), confirmedAt: t(31), peak: 10.5),
            ]
        )
        #expect(alerts.last?.duration == .seconds(62 * 60))
    }

    @Test("A single held reading reaches the allowance by the clock alone, and clears as it leaves the window")
    func heldReading() throws {
        var detector = ExcursionDetector()
        detector.monitor(room, limits: try limits(alarmDelay: .seconds(7200)))
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.advance(to: t(10) - .nanoseconds(1), into: &alerts)
        #expect(alerts.isEmpty)
        detector.advance(to: t(10), into: &alerts)
        #expect(alerts == [alert(.raised, .cumulative, room, startedAt: t(0), at: t(10), peak: 9)])
        // Back at 20: exposure [0,20), 20 minutes; from 60 on the tail eats it, below 10 after 70.
        // The clear is dated 70 and noticed once the clock passes 70: a reading at 70 could have
        // started a new run.
        detector.observe(room, at: t(20), celsius: 5, into: &alerts)
        detector.advance(to: t(70), into: &alerts)
        #expect(alerts.count == 1)
        detector.advance(to: t(70) + .nanoseconds(1), into: &alerts)
        #expect(
            alerts.last == alert(.cleared, .cumulative, room, startedAt: t(0), at: t(70), confirmedAt: t(10), peak: 9)
        )
    }

    @Test("A reading exposed at the very instant the exposure would fall below the allowance keeps the alert")
    func readingAtTheClearInstant() throws {
        var detector = ExcursionDetector()
        detector.monitor(room, limits: try limits(alarmDelay: .seconds(7200)))
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.observe(room, at: t(20), celsius: 5, into: &alerts)  // [0,20): would clear at 70
        detector.observe(room, at: t(70), celsius: 9.5, into: &alerts)  // a run from 70 holds it at 10
        detector.observe(room, at: t(75), celsius: 5, into: &alerts)  // [70,75): now it falls from 75
        detector.advance(to: t(120), into: &alerts)
        #expect(
            alerts == [
                alert(.raised, .cumulative, room, startedAt: t(0), at: t(10), peak: 9),
                alert(.updated, .cumulative, room, startedAt: t(0), at: t(70), confirmedAt: t(10), peak: 9.5),
                alert(.cleared, .cumulative, room, startedAt: t(0), at: t(75), confirmedAt: t(10), peak: 9.5),
            ]
        )
    }

    @Test("The crossing is exact while the window's tail passes old exposure (slope 0, then 1)")
    func crossingWhileTailPassesOldExposure() throws {
        var detector = ExcursionDetector()
        detector.monitor(room, limits: try limits(windowMinutes: 30, allowedMinutes: 11, alarmDelay: .seconds(7200)))
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.observe(room, at: t(8), celsius: 5, into: &alerts)  // exposure [0,8)
        detector.observe(room, at: t(28), celsius: 9.5, into: &alerts)  // a new run from 28
        // 8 at 28, 10 at 30; from 30 to 38 the tail eats [0,8) as fast as the run adds: still 10;
        // then it grows again and reaches 11 at 39. The first interval no longer counts by then.
        detector.advance(to: t(38, seconds: 59), into: &alerts)
        #expect(alerts.isEmpty)
        detector.advance(to: t(39), into: &alerts)
        #expect(alerts == [alert(.raised, .cumulative, room, startedAt: t(28), at: t(39), peak: 9.5)])
    }

    @Test("Time below a freeze limit counts with side .below; the peak is the lowest reading")
    func belowSide() throws {
        var detector = ExcursionDetector()
        detector.monitor(room, limits: try limits(side: .below, limit: 0, alarmDelay: .seconds(7200)))
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: -1, into: &alerts)
        detector.observe(room, at: t(4), celsius: -2.5, into: &alerts)
        detector.observe(room, at: t(6), celsius: 3, into: &alerts)  // [0,6)
        detector.observe(room, at: t(20), celsius: -0.5, into: &alerts)  // 6 + 4 = 10 at 24
        detector.advance(to: t(24), into: &alerts)
        #expect(alerts == [alert(.raised, .cumulative, room, startedAt: t(0), at: t(24), peak: -2.5)])
    }

    @Test("A reading stands for at most offlineAfter: a silent exposed sensor does not accrue forever")
    func holdIsCappedByOfflineAfter() throws {
        var detector = ExcursionDetector()
        detector.monitor(room, limits: try limits(alarmDelay: .seconds(7200), offlineAfter: .seconds(300)))
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.advance(to: t(100), into: &alerts)
        #expect(alerts == [alert(.raised, .sensorOffline, room, startedAt: t(0), at: t(5), peak: nil)])
        // A reading after the gap starts a new run; [0,5) is long gone from the window at 100.
        detector.observe(room, at: t(100), celsius: 9, into: &alerts)
        detector.observe(room, at: t(104), celsius: 9, into: &alerts)
        detector.advance(to: t(120), into: &alerts)
        #expect(alerts.filter { $0.kind == .cumulative }.isEmpty)
    }

    @Test("CumulativeExposure sums held runs within the window exactly")
    func exposureArithmetic() throws {
        let limit = try CumulativeLimit(limit: 8, window: .seconds(3600), allowed: .seconds(600))
        var exposure = CumulativeExposure(limit: limit, holdLimit: .seconds(120))
        let minute: Int64 = 60_000_000_000
        _ = exposure.record(9, at: 0)
        _ = exposure.record(9, at: 1 * minute)
        _ = exposure.record(5, at: 2 * minute)  // [0, 2)
        _ = exposure.record(9, at: 10 * minute)  // held until 12 at most
        #expect(exposure.exposure(at: 10 * minute) == 2 * minute)
        #expect(exposure.exposure(at: 11 * minute) == 3 * minute)
        #expect(exposure.exposure(at: 30 * minute) == 4 * minute)
        _ = exposure.record(5, at: 30 * minute)  // the run closed at 12: [10, 12)
        #expect(exposure.closed.count == 2)
        #expect(exposure.exposure(at: 61 * minute) == 3 * minute)  // window (1, 61]: 1 + 2
        #expect(exposure.nextCrossing() == nil)
    }
}

@Suite("TemperatureLimits and alert ids")
struct ColdChainLimitsTests {
    @Test("Invalid limits are refused with a reason")
    func validation() {
        #expect(throws: TemperatureLimitsError.noBound) { try TemperatureLimits() }
        #expect(throws: TemperatureLimitsError.minAboveMax(min: 8, max: 2)) { try TemperatureLimits(min: 8, max: 2) }
        #expect(throws: TemperatureLimitsError.negativeHysteresis(-1)) {
            try TemperatureLimits(max: 8, clearHysteresis: -1)
        }
        #expect(throws: TemperatureLimitsError.negativeDuration("alarm_delay")) {
            try TemperatureLimits(max: 8, alarmDelay: .seconds(-1))
        }
        #expect(throws: TemperatureLimitsError.nonPositiveDuration("offline_after")) {
            try TemperatureLimits(max: 8, offlineAfter: .zero)
        }
        #expect(throws: TemperatureLimitsError.notFinite("min")) { try TemperatureLimits(min: .nan, max: 8) }
        #expect(throws: TemperatureLimitsError.allowedNotShorterThanWindow(allowed: .seconds(60), window: .seconds(60)))
        {
            try CumulativeLimit(limit: 8, window: .seconds(60), allowed: .seconds(60))
        }
        #expect(
            TemperatureLimitsError.minAboveMax(min: 8, max: 2).description
                == "'min' (8.0) is above 'max' (2.0); swap them"
        )
    }

    @Test("Defaults match the site config's: 5-minute delay, 0.5 °C hysteresis, no cumulative, no offline")
    func defaults() throws {
        let limits = try TemperatureLimits(min: 2, max: 8)
        #expect(limits.alarmDelay == .seconds(300))
        #expect(limits.clearHysteresis == 0.5)
        #expect(limits.cumulative == nil)
        #expect(limits.offlineAfter == nil)
    }

    @Test("Alert fingerprints are FNV-1a over the documented encoding, stable across runs")
    func fingerprints() {
        let start = EventTime(seconds: 1_800_000_000)
        let high = AlertID(kind: .excursionHigh, subject: .zone(ZoneID(3)), startedAt: start)
        let offline = AlertID(kind: .sensorOffline, subject: .sensor(SourceID(7)), startedAt: start)
        // Computed independently (Python) from the byte encoding in AlertID's documentation.
        #expect(high.fingerprint == 0xe146_b5cf_101d_5ce8)
        #expect(high.fingerprintHex == "e146b5cf101d5ce8")
        #expect(offline.fingerprint == 0xef1a_c48b_c2ab_a8ea)
        let later = AlertID(kind: .excursionHigh, subject: .zone(ZoneID(3)), startedAt: start + .nanoseconds(1))
        let low = AlertID(kind: .excursionLow, subject: .zone(ZoneID(3)), startedAt: start)
        let sensor = AlertID(kind: .excursionHigh, subject: .sensor(SourceID(3)), startedAt: start)
        #expect(Set([high, later, low, sensor].map(\.fingerprint)).count == 4)
        #expect(
            AlertKind.allCases.map(\.rawValue) == ["excursion-high", "excursion-low", "cumulative", "sensor-offline"]
        )
    }
}
