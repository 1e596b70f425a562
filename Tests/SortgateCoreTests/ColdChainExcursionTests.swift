import Testing

@testable import SortgateCore

/// Event time `minutes` (and `seconds`) after a fixed origin.
func coldChainTime(_ minutes: Int64, seconds: Int64 = 0) -> EventTime {
    EventTime(seconds: 1_800_000_000 + minutes * 60 + seconds)
}

/// An alert transition as the detectors should emit it; `confirmedAt` defaults to `at`.
func alert(
    _ transition: AlertTransition,
    _ kind: AlertKind,
    _ subject: ColdChainSubject,
    startedAt: EventTime,
    at: EventTime,
    confirmedAt: EventTime? = nil,
    peak: Double?
) -> AlertEvent {
    AlertEvent(
        transition: transition,
        id: AlertID(kind: kind, subject: subject, startedAt: startedAt),
        at: at,
        confirmedAt: confirmedAt ?? at,
        clearedAt: transition == .cleared ? at : nil,
        peakCelsius: peak
    )
}

@Suite("ExcursionDetector: excursions")
struct ColdChainExcursionTests {
    let room = ColdChainSubject.zone(ZoneID(0))
    let dock = ColdChainSubject.zone(ZoneID(1))
    /// Chilled 2–8 °C, confirmed after 10 minutes, cleared 0.5 °C back inside.
    let chilled = try! TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(600), clearHysteresis: 0.5)

    func t(_ minutes: Int64, seconds: Int64 = 0) -> EventTime { coldChainTime(minutes, seconds: seconds) }

    func detector(_ limits: TemperatureLimits? = nil) -> ExcursionDetector {
        var detector = ExcursionDetector()
        detector.monitor(room, limits: limits ?? chilled)
        return detector
    }

    /// Feeds one reading a minute, `values[i]` at minute `start + i`.
    func feed(
        _ detector: inout ExcursionDetector,
        _ subject: ColdChainSubject,
        from start: Int64,
        _ values: [Double],
        into alerts: inout [AlertEvent]
    ) {
        for (offset, value) in values.enumerated() {
            detector.observe(subject, at: t(start + Int64(offset)), celsius: value, into: &alerts)
        }
    }

    @Test("A spike shorter than the alarm delay gives no alert, even one back inside only within the hysteresis")
    func spikeShorterThanDelay() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        // Out from minute 2 to 8 (six minutes), back at 7.8 °C: inside, but not by the hysteresis.
        feed(&detector, room, from: 0, [5, 5, 9, 10, 11, 10, 9, 9.5, 7.8, 6, 5], into: &alerts)
        // Out again at minute 20, back at minute 29 s 59: one second short of the delay.
        detector.observe(room, at: t(20), celsius: 12, into: &alerts)
        detector.observe(room, at: t(29, seconds: 59), celsius: 5, into: &alerts)
        detector.advance(to: t(120), into: &alerts)
        #expect(alerts.isEmpty)
        #expect(detector.activeAlerts(of: room).isEmpty)
    }

    @Test("A 40-minute excursion: one alert, confirmed at start + delay, peaks, cleared by the hysteresis")
    func fortyMinuteExcursion() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        var values: [Double] = Array(repeating: 5, count: 10)  // minutes 0–9
        values += Array(repeating: 9, count: 10)  // 10–19: out, confirmed at 20
        values += [9.5]  // 20: a new peak right at confirmation
        values += Array(repeating: 9.5, count: 9)  // 21–29
        values += [11.25]  // 30: the peak
        values += Array(repeating: 10, count: 19)  // 31–49
        values += [7.8]  // 50: inside, not by the hysteresis: still active
        values += [7.5]  // 51: max − hysteresis exactly: cleared
        values += Array(repeating: 5, count: 9)  // 52–60
        feed(&detector, room, from: 0, values, into: &alerts)
        detector.advance(to: t(120), into: &alerts)
        #expect(
            alerts == [
                alert(.raised, .excursionHigh, room, startedAt: t(10), at: t(20), peak: 9),
                alert(.updated, .excursionHigh, room, startedAt: t(10), at: t(20), confirmedAt: t(20), peak: 9.5),
                alert(.updated, .excursionHigh, room, startedAt: t(10), at: t(30), confirmedAt: t(20), peak: 11.25),
                alert(.cleared, .excursionHigh, room, startedAt: t(10), at: t(51), confirmedAt: t(20), peak: 11.25),
            ]
        )
        #expect(alerts.filter { $0.transition == .raised }.count == 1)
        #expect(alerts.last?.duration == .seconds(41 * 60))
        #expect(detector.activeAlerts(of: room).isEmpty)
    }

    @Test("The clock alone confirms an excursion exactly at start + delay, not a nanosecond earlier")
    func confirmationByAdvance() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9.4, into: &alerts)
        detector.advance(to: t(10) - .nanoseconds(1), into: &alerts)
        #expect(alerts.isEmpty)
        detector.advance(to: t(10), into: &alerts)
        #expect(alerts == [alert(.raised, .excursionHigh, room, startedAt: t(0), at: t(10), peak: 9.4)])
        #expect(detector.activeAlerts(of: room) == [AlertID(kind: .excursionHigh, subject: room, startedAt: t(0))])
    }

    @Test("A reading back inside exactly at start + delay comes too late: the excursion lasted the delay")
    func readingBackAtTheDeadline() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.observe(room, at: t(10), celsius: 5, into: &alerts)
        #expect(
            alerts == [
                alert(.raised, .excursionHigh, room, startedAt: t(0), at: t(10), peak: 9),
                alert(.cleared, .excursionHigh, room, startedAt: t(0), at: t(10), confirmedAt: t(10), peak: 9),
            ]
        )
        #expect(alerts.last?.duration == .seconds(600))
    }

    @Test("A high excursion turning directly into a low one: cleared at the first low reading, which starts the low")
    func highTurningLow() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.observe(room, at: t(12), celsius: 1, into: &alerts)  // high confirmed at 10, cleared here
        detector.observe(room, at: t(20), celsius: 0.5, into: &alerts)  // low pending since 12, new low
        detector.observe(room, at: t(25), celsius: 1.5, into: &alerts)  // confirmed at 22 (before this reading)
        detector.observe(room, at: t(26), celsius: 0.25, into: &alerts)  // a new low peak
        detector.observe(room, at: t(30), celsius: 2.4, into: &alerts)  // inside, below min + hysteresis
        detector.observe(room, at: t(31), celsius: 2.5, into: &alerts)  // min + hysteresis: cleared
        #expect(
            alerts == [
                alert(.raised, .excursionHigh, room, startedAt: t(0), at: t(10), peak: 9),
                alert(.cleared, .excursionHigh, room, startedAt: t(0), at: t(12), confirmedAt: t(10), peak: 9),
                alert(.raised, .excursionLow, room, startedAt: t(12), at: t(22), peak: 0.5),
                alert(.updated, .excursionLow, room, startedAt: t(12), at: t(26), confirmedAt: t(22), peak: 0.25),
                alert(.cleared, .excursionLow, room, startedAt: t(12), at: t(31), confirmedAt: t(22), peak: 0.25),
            ]
        )
    }

    @Test("A pending high turning low, then back, before either delay: nothing")
    func pendingHighTurningLow() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.observe(room, at: t(5), celsius: 1, into: &alerts)  // high dropped, low pending from 5
        detector.observe(room, at: t(14), celsius: 5, into: &alerts)  // low dropped at 14 < 15
        detector.advance(to: t(60), into: &alerts)
        #expect(alerts.isEmpty)
    }

    @Test("No alarm delay: confirmed by the reading itself")
    func zeroDelay() throws {
        var detector = detector(try TemperatureLimits(max: -18, alarmDelay: .zero, clearHysteresis: 1))
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: -20, into: &alerts)
        detector.observe(room, at: t(1), celsius: -17, into: &alerts)
        #expect(alerts == [alert(.raised, .excursionHigh, room, startedAt: t(1), at: t(1), peak: -17)])
        detector.observe(room, at: t(2), celsius: -18.5, into: &alerts)  // inside, within the hysteresis
        detector.observe(room, at: t(3), celsius: -19, into: &alerts)  // −18 − 1: cleared
        #expect(
            alerts.dropFirst() == [
                alert(.cleared, .excursionHigh, room, startedAt: t(1), at: t(3), confirmedAt: t(1), peak: -17)
            ]
        )
    }

    @Test("A value equal to a bound is inside; a value equal to bound ∓ hysteresis clears")
    func boundsAreInclusive() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 8, into: &alerts)
        detector.observe(room, at: t(1), celsius: 2, into: &alerts)
        detector.advance(to: t(30), into: &alerts)
        #expect(alerts.isEmpty)
        #expect(chilled.isAbove(8.000001) && !chilled.isAbove(8) && chilled.isBelow(1.999999) && !chilled.isBelow(2))
    }

    @Test("Readings older than the subject's last are ignored and counted; equal times are applied")
    func outOfOrder() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(10), celsius: 9, into: &alerts)
        detector.observe(room, at: t(5), celsius: 5, into: &alerts)  // older: would drop the excursion
        detector.observe(room, at: t(10), celsius: 9.5, into: &alerts)  // same time: a new peak while pending
        detector.advance(to: t(20), into: &alerts)
        #expect(detector.ignoredOutOfOrder == 1)
        #expect(alerts == [alert(.raised, .excursionHigh, room, startedAt: t(10), at: t(20), peak: 9.5)])
    }

    @Test("Non-finite readings and readings of unmonitored subjects are ignored and counted")
    func ignoredReadings() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: .nan, into: &alerts)
        detector.observe(room, at: t(0), celsius: .infinity, into: &alerts)
        detector.observe(dock, at: t(0), celsius: 40, into: &alerts)
        detector.advance(to: t(60), into: &alerts)
        #expect(alerts.isEmpty)
        #expect(detector.ignoredNonFinite == 2)
        #expect(detector.ignoredUnmonitored == 1)
    }

    @Test("Deadlines of different subjects fire in time order, even when one moved later")
    func deadlinesInTimeOrder() throws {
        var detector = ExcursionDetector()
        let withOffline = try TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(720), offlineAfter: .seconds(600))
        detector.monitor(room, limits: withOffline)
        detector.monitor(dock, limits: chilled)
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 5, into: &alerts)  // offline due at 10 + 1 ns …
        detector.observe(dock, at: t(1), celsius: 9, into: &alerts)  // confirmation due at 11
        detector.observe(room, at: t(8), celsius: 5, into: &alerts)  // … now due at 18 + 1 ns
        detector.advance(to: t(60), into: &alerts)
        #expect(
            alerts == [
                alert(.raised, .excursionHigh, dock, startedAt: t(1), at: t(11), peak: 9),
                alert(.raised, .sensorOffline, room, startedAt: t(8), at: t(18), peak: nil),
            ]
        )
    }

    @Test("An interruption drops a pending excursion and keeps a confirmed one active until a reading clears it")
    func interruption() {
        var detector = detector()
        var alerts: [AlertEvent] = []
        detector.observe(room, at: t(0), celsius: 9, into: &alerts)
        detector.interrupt(room, at: t(5), into: &alerts)
        detector.advance(to: t(30), into: &alerts)
        #expect(alerts.isEmpty)
        detector.observe(room, at: t(30), celsius: 9, into: &alerts)
        detector.interrupt(room, at: t(45), into: &alerts)  // confirmed at 40 first
        detector.advance(to: t(100), into: &alerts)
        #expect(alerts == [alert(.raised, .excursionHigh, room, startedAt: t(30), at: t(40), peak: 9)])
        #expect(detector.activeAlerts(of: room).count == 1)
        detector.observe(room, at: t(100), celsius: 5, into: &alerts)
        #expect(
            alerts.last
                == alert(.cleared, .excursionHigh, room, startedAt: t(30), at: t(100), confirmedAt: t(40), peak: 9)
        )
    }

    @Test("Replaying the same readings gives the same alerts with the same ids")
    func replayIsDeterministic() {
        func run() -> [AlertEvent] {
            var detector = ExcursionDetector()
            detector.monitor(room, limits: chilled)
            detector.monitor(dock, limits: chilled)
            var alerts: [AlertEvent] = []
            for minute in Int64(0)..<120 {
                let wave = Double(minute % 37) / 3
                detector.observe(room, at: t(minute), celsius: wave, into: &alerts)
                detector.observe(dock, at: t(minute, seconds: 30), celsius: 10 - wave, into: &alerts)
            }
            detector.advance(to: t(200), into: &alerts)
            return alerts
        }
        let first = run()
        let second = run()
        #expect(!first.isEmpty)
        #expect(first == second)
        #expect(first.map(\.id.fingerprint) == second.map(\.id.fingerprint))
    }
}

@Suite("ExcursionDetector: offline sensors")
struct ColdChainOfflineTests {
    let sensor = ColdChainSubject.sensor(SourceID(7))

    func t(_ minutes: Int64, seconds: Int64 = 0) -> EventTime { coldChainTime(minutes, seconds: seconds) }

    @Test(
        "A silent sensor goes offline once the clock passes last reading + offlineAfter, and clears on the next reading"
    )
    func silentSensor() throws {
        var detector = ExcursionDetector()
        detector.monitor(sensor, limits: try TemperatureLimits(min: 2, max: 8, offlineAfter: .seconds(600)))
        var alerts: [AlertEvent] = []
        for minute in Int64(0)...5 { detector.observe(sensor, at: t(minute), celsius: 5, into: &alerts) }
        detector.advance(to: t(15), into: &alerts)
        #expect(alerts.isEmpty)  // reached, not passed
        detector.advance(to: t(15) + .nanoseconds(1), into: &alerts)
        #expect(alerts == [alert(.raised, .sensorOffline, sensor, startedAt: t(5), at: t(15), peak: nil)])
        detector.observe(sensor, at: t(30), celsius: 5, into: &alerts)
        #expect(
            alerts.last
                == alert(.cleared, .sensorOffline, sensor, startedAt: t(5), at: t(30), confirmedAt: t(15), peak: nil)
        )
        #expect(alerts.last?.duration == .seconds(25 * 60))
        #expect(detector.activeAlerts(of: sensor).isEmpty)
    }

    @Test("A reading exactly offlineAfter after the last one keeps the sensor online")
    func readingAtTheLimit() throws {
        var detector = ExcursionDetector()
        detector.monitor(sensor, limits: try TemperatureLimits(min: 2, max: 8, offlineAfter: .seconds(600)))
        var alerts: [AlertEvent] = []
        detector.observe(sensor, at: t(0), celsius: 5, into: &alerts)
        detector.observe(sensor, at: t(10), celsius: 5, into: &alerts)
        detector.advance(to: t(20), into: &alerts)
        #expect(alerts.isEmpty)
    }

    @Test("The last value is not frozen: a pending excursion is dropped when the sensor goes offline")
    func offlineDropsPendingExcursion() throws {
        var detector = ExcursionDetector()
        let limits = try TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(900), offlineAfter: .seconds(600))
        detector.monitor(sensor, limits: limits)
        var alerts: [AlertEvent] = []
        detector.observe(sensor, at: t(0), celsius: 5, into: &alerts)
        detector.observe(sensor, at: t(5), celsius: 9, into: &alerts)  // confirmation would be due at 20
        detector.advance(to: t(40), into: &alerts)
        #expect(alerts == [alert(.raised, .sensorOffline, sensor, startedAt: t(5), at: t(15), peak: nil)])
        for minute: Int64 in [41, 46, 51, 56] {  // a new excursion from 41, reported every 5 minutes
            detector.observe(sensor, at: t(minute), celsius: 9, into: &alerts)
        }
        #expect(
            Array(alerts.dropFirst()) == [
                alert(.cleared, .sensorOffline, sensor, startedAt: t(5), at: t(41), confirmedAt: t(15), peak: nil),
                alert(.raised, .excursionHigh, sensor, startedAt: t(41), at: t(56), peak: 9),
            ]
        )
    }

    @Test("A confirmed excursion stays active while the sensor is offline; the next reading decides")
    func offlineKeepsConfirmedExcursion() throws {
        var detector = ExcursionDetector()
        let limits = try TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(600), offlineAfter: .seconds(1200))
        detector.monitor(sensor, limits: limits)
        var alerts: [AlertEvent] = []
        detector.observe(sensor, at: t(0), celsius: 9, into: &alerts)
        detector.advance(to: t(25), into: &alerts)
        detector.observe(sensor, at: t(30), celsius: 5, into: &alerts)
        #expect(
            alerts == [
                alert(.raised, .excursionHigh, sensor, startedAt: t(0), at: t(10), peak: 9),
                alert(.raised, .sensorOffline, sensor, startedAt: t(0), at: t(20), peak: nil),
                alert(.cleared, .sensorOffline, sensor, startedAt: t(0), at: t(30), confirmedAt: t(20), peak: nil),
                alert(.cleared, .excursionHigh, sensor, startedAt: t(0), at: t(30), confirmedAt: t(10), peak: 9),
            ]
        )
    }

    @Test("A sensor that never reports goes offline when it was expected from a given time")
    func neverReported() throws {
        var detector = ExcursionDetector()
        let limits = try TemperatureLimits(max: -18, offlineAfter: .seconds(300))
        detector.monitor(sensor, limits: limits, expectingReadingsFrom: t(0))
        var alerts: [AlertEvent] = []
        detector.advance(to: t(6), into: &alerts)
        #expect(alerts == [alert(.raised, .sensorOffline, sensor, startedAt: t(0), at: t(5), peak: nil)])
    }

    @Test("Without offline alerts, silence still makes the last value stale")
    func staleWithoutAlert() throws {
        var detector = ExcursionDetector()
        let limits = try TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(900), offlineAfter: .seconds(600))
        detector.monitor(sensor, limits: limits, raisesOfflineAlerts: false)
        var alerts: [AlertEvent] = []
        detector.observe(sensor, at: t(0), celsius: 9, into: &alerts)
        detector.advance(to: t(60), into: &alerts)
        #expect(alerts.isEmpty)
    }
}
