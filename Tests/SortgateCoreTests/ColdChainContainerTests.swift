import Testing

@testable import SortgateCore

@Suite("ContainerTemperatureTracker")
struct ColdChainContainerTests {
    let coldRoom = ZoneID(0)
    let dock = ZoneID(1)
    let truck = ZoneID(2)  // no sensor
    let pallet = try! EPC(hex: "3174257BF4499602D2000000")  // an SSCC-96
    let tote = try! EPC(hex: "3374257BF40C0E400000162E")  // a GRAI-96
    /// Chilled 2–8 °C, confirmed after 10 minutes, cleared 0.5 °C back inside.
    let chilled = try! TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(600), clearHysteresis: 0.5)
    let ambient = try! TemperatureLimits(min: 0, max: 30, alarmDelay: .seconds(600))

    func t(_ minutes: Int64) -> EventTime { coldChainTime(minutes) }

    @Test("A container moved from the cold room to a warm dock gets the excursion; the cold room does not")
    func coldRoomToWarmDock() {
        var zones = ExcursionDetector()
        zones.monitor(.zone(coldRoom), limits: chilled)
        zones.monitor(.zone(dock), limits: ambient)
        var tracker = ContainerTemperatureTracker(defaultLimits: chilled, defaultMKTWindow: .seconds(86_400))
        var zoneAlerts: [AlertEvent] = []
        var containerAlerts: [AlertEvent] = []
        for minute in Int64(0)...90 {
            // Each minute: both zones read (cold room 4 °C, dock 15 °C), then containers move.
            zones.observe(.zone(coldRoom), at: t(minute), celsius: 4, into: &zoneAlerts)
            zones.observe(.zone(dock), at: t(minute), celsius: 15, into: &zoneAlerts)
            tracker.observe(zone: coldRoom, at: t(minute), celsius: 4, into: &containerAlerts)
            tracker.observe(zone: dock, at: t(minute), celsius: 15, into: &containerAlerts)
            if minute == 0 { tracker.enter(pallet, zone: coldRoom, at: t(0), into: &containerAlerts) }
            if minute == 20 { tracker.enter(pallet, zone: dock, at: t(20), into: &containerAlerts) }
            if minute == 70 { tracker.enter(pallet, zone: coldRoom, at: t(70), into: &containerAlerts) }
        }
        zones.advance(to: t(90), into: &zoneAlerts)
        tracker.advance(to: t(90), into: &containerAlerts)
        let subject = ColdChainSubject.container(pallet)
        #expect(zoneAlerts.isEmpty)
        // On the dock from 20: the dock's reading of 20 applies at once, confirmed at 30;
        // back in the cold room at 70, whose reading of 70 (4 °C) clears it.
        #expect(
            containerAlerts == [
                alert(.raised, .excursionHigh, subject, startedAt: t(20), at: t(30), peak: 15),
                alert(.cleared, .excursionHigh, subject, startedAt: t(20), at: t(70), confirmedAt: t(30), peak: 15),
            ]
        )
        #expect(containerAlerts.last?.duration == .seconds(50 * 60))
        let summary = tracker.summary(of: pallet)
        #expect(summary?.zone == coldRoom)
        #expect(summary?.zoneSince == t(70))
        // Cold room 0 (on entry), 1–20; dock 20 (on entry), 21–70; cold room 70 (on entry), 71–90.
        #expect(summary?.readingCount == 21 + 51 + 21)
        #expect(summary?.firstReadingAt == t(0))
        #expect(summary?.lastReadingAt == t(90))
        #expect(summary?.minCelsius == 4)
        #expect(summary?.maxCelsius == 15)
        #expect(summary?.monitoredTime == .seconds(90 * 60))
        #expect(summary?.timeOutOfRange == .seconds(50 * 60))
        #expect(summary?.activeAlerts == [])
        // 40 minutes at 4 °C and 50 at 15 °C, time-weighted.
        let expected = MeanKineticTemperature.celsius(ofWeighted: [(4, 40), (15, 50)])!
        #expect(abs(summary!.meanKineticCelsius! - expected) < 1e-9)
        #expect(tracker.containers(in: coldRoom) == [pallet])
        #expect(tracker.containers(in: dock).isEmpty)
    }

    @Test("A container that leaves the warm dock before the delay gets nothing; one that stays keeps its alert")
    func unmonitoredZone() {
        var tracker = ContainerTemperatureTracker(defaultLimits: chilled)
        var alerts: [AlertEvent] = []
        tracker.observe(zone: dock, at: t(0), celsius: 15, into: &alerts)
        tracker.enter(pallet, zone: dock, at: t(0), into: &alerts)
        tracker.enter(tote, zone: dock, at: t(0), into: &alerts)
        tracker.observe(zone: dock, at: t(5), celsius: 15, into: &alerts)
        tracker.enter(pallet, zone: truck, at: t(8), into: &alerts)  // pending excursion dropped
        tracker.observe(zone: dock, at: t(12), celsius: 15, into: &alerts)  // tote confirmed at 10
        tracker.enter(tote, zone: truck, at: t(15), into: &alerts)
        tracker.advance(to: t(100), into: &alerts)
        let toteSubject = ColdChainSubject.container(tote)
        #expect(alerts == [alert(.raised, .excursionHigh, toteSubject, startedAt: t(0), at: t(10), peak: 15)])
        let toteSummary = tracker.summary(of: tote)
        #expect(toteSummary?.activeAlerts == [AlertID(kind: .excursionHigh, subject: toteSubject, startedAt: t(0))])
        #expect(toteSummary?.monitoredTime == .seconds(15 * 60))
        #expect(toteSummary?.timeOutOfRange == .seconds(15 * 60))
        #expect(tracker.summary(of: pallet)?.timeOutOfRange == .seconds(8 * 60))
        #expect(tracker.summary(of: pallet)?.activeAlerts == [])
        #expect(Set(tracker.containers(in: truck)) == [pallet, tote])
        // Back into a cold room: its latest reading clears the tote's excursion on entry.
        tracker.observe(zone: coldRoom, at: t(100), celsius: 4, into: &alerts)
        tracker.enter(tote, zone: coldRoom, at: t(101), into: &alerts)
        #expect(
            alerts.last
                == alert(
                    .cleared,
                    .excursionHigh,
                    toteSubject,
                    startedAt: t(0),
                    at: t(101),
                    confirmedAt: t(10),
                    peak: 15
                )
        )
    }

    @Test("Each container is judged by its own class: a frozen tote in a chilled room has the excursion")
    func ownClass() throws {
        var tracker = ContainerTemperatureTracker(defaultLimits: chilled)
        tracker.setLimits(try TemperatureLimits(max: -18, alarmDelay: .seconds(300)), for: tote)
        var alerts: [AlertEvent] = []
        tracker.enter(pallet, zone: coldRoom, at: t(0), into: &alerts)
        tracker.enter(tote, zone: coldRoom, at: t(0), into: &alerts)
        for minute in Int64(0)...10 { tracker.observe(zone: coldRoom, at: t(minute), celsius: 4, into: &alerts) }
        #expect(alerts == [alert(.raised, .excursionHigh, .container(tote), startedAt: t(0), at: t(5), peak: 4)])
        #expect(tracker.summary(of: pallet)?.timeOutOfRange == .zero)
        #expect(tracker.summary(of: tote)?.timeOutOfRange == .seconds(10 * 60))
    }

    @Test("A zone's stale latest reading is not applied on entry, and a zone gap makes the last value stale")
    func staleZoneReadings() throws {
        let limits = try TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(600), offlineAfter: .seconds(300))
        var tracker = ContainerTemperatureTracker(defaultLimits: limits)
        var alerts: [AlertEvent] = []
        tracker.observe(zone: dock, at: t(0), celsius: 15, into: &alerts)
        tracker.enter(pallet, zone: dock, at: t(6), into: &alerts)  // the 15 °C reading is 6 minutes old
        #expect(tracker.summary(of: pallet)?.readingCount == 0)
        tracker.observe(zone: dock, at: t(7), celsius: 15, into: &alerts)  // pending from 7
        tracker.advance(to: t(30), into: &alerts)  // stale at 12: dropped, no sensor-offline per container
        #expect(alerts.isEmpty)
        let summary = tracker.summary(of: pallet)
        #expect(summary?.monitoredTime == .seconds(5 * 60))
        #expect(summary?.timeOutOfRange == .seconds(5 * 60))
    }

    @Test("Leaving removes the container from its zone; forgetting drops its state")
    func leaveAndForget() {
        var tracker = ContainerTemperatureTracker(defaultLimits: chilled)
        var alerts: [AlertEvent] = []
        tracker.enter(pallet, zone: coldRoom, at: t(0), into: &alerts)
        tracker.enter(tote, zone: coldRoom, at: t(0), into: &alerts)
        tracker.leave(pallet, at: t(5), into: &alerts)
        #expect(tracker.containers(in: coldRoom) == [tote])
        tracker.observe(zone: coldRoom, at: t(6), celsius: 4, into: &alerts)
        #expect(tracker.summary(of: pallet)?.readingCount == 0)
        #expect(tracker.summary(of: pallet)?.zone == nil)
        #expect(tracker.summary(of: tote)?.readingCount == 1)
        tracker.forget(tote)
        #expect(tracker.summary(of: tote) == nil)
        #expect(tracker.containers(in: coldRoom).isEmpty)
        #expect(alerts.isEmpty)
    }
}
