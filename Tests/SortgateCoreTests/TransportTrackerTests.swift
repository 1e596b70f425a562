import Testing

@testable import SortgateCore

/// The journey state machine on plain facts: no I/O, no clock but event time.
@Suite("TransportTracker")
struct TransportTrackerTests {
    // Zones by id: the roles of a small site.
    static let roles: [TransportZoneRole?] = [.dockIn, .induction, .sorter, .chute, .chute, .staging, .dockOut, nil]
    let dockIn = ZoneID(0)
    let induction = ZoneID(1)
    let sorter = ZoneID(2)
    let chute1 = ZoneID(3)
    let chute2 = ZoneID(4)
    let staging = ZoneID(5)
    let dockOut = ZoneID(6)
    let office = ZoneID(7)
    let pallet = try! EPC(hex: "3174257BF4499602D2000000")  // an SSCC-96
    let tote = try! EPC(hex: "3374257BF40C0E400000162E")  // a GRAI-96
    let item = try! EPC(hex: "3074257BF7194E4000001A85")  // an SGTIN-96

    func t(_ minutes: Int64) -> EventTime { coldChainTime(minutes) }

    func makeTracker(dwell: [TransportZoneRole: Duration] = [:]) -> TransportTracker {
        TransportTracker(configuration: .init(zoneRoles: Self.roles, dwellLimits: dwell))
    }

    func arrival(_ epc: EPC, _ zone: ZoneID, _ minute: Int64) -> Movement {
        Movement(epc: epc, kind: .arrival, from: nil, to: zone, at: t(minute))
    }

    func move(_ epc: EPC, _ from: ZoneID, _ to: ZoneID, _ minute: Int64) -> Movement {
        Movement(epc: epc, kind: .move, from: from, to: to, at: t(minute))
    }

    func departure(_ epc: EPC, _ from: ZoneID, _ minute: Int64) -> Movement {
        Movement(epc: epc, kind: .departure, from: from, to: nil, at: t(minute))
    }

    func entry(_ epc: EPC, to destination: ZoneID, expectedBy: Int64? = nil) -> ManifestContainer {
        ManifestContainer(
            container: epc,
            shipment: "S1",
            destination: destination,
            destinationName: "chute",
            expectedBy: expectedBy.map { t($0) },
            items: [item]
        )
    }

    @Test("A full journey: expected → received → in-sort → sorted → loaded → departed, with every stage time")
    func fullJourney() throws {
        var tracker = makeTracker()
        tracker.load([entry(pallet, to: chute1, expectedBy: 30)])
        #expect(tracker.journey(of: pallet)?.status == .expected)
        let steps: [(Movement, TransportStage)] = [
            (arrival(pallet, dockIn, 1), .received),
            (move(pallet, dockIn, induction, 2), .inSort),
            (move(pallet, induction, sorter, 3), .inSort),
            (move(pallet, sorter, chute1, 4), .sorted),
            (move(pallet, chute1, staging, 5), .sorted),
            (move(pallet, staging, dockOut, 9), .loaded),
            (departure(pallet, dockOut, 10), .departed),
        ]
        for (movement, stage) in steps {
            tracker.observe(movement)
            #expect(
                tracker.journey(of: pallet)?.status == stage,
                "after \(movement.kind) to \(String(describing: movement.to))"
            )
        }
        let journey = try #require(tracker.journey(of: pallet))
        #expect(journey.receivedAt == t(1))
        #expect(journey.sortedAt == t(4))
        #expect(journey.sortedTo == chute1)
        #expect(journey.loadedAt == t(9))
        #expect(journey.departedAt == t(10))
        #expect(journey.zone == dockOut)
        #expect(journey.anomalies == [])
        #expect(tracker.container(ofItem: item) == pallet)
    }

    @Test("Repeated and out-of-order movements never move a stage back nor change stage times")
    func repeatedAndOutOfOrder() throws {
        var tracker = makeTracker()
        tracker.load([entry(pallet, to: chute1)])
        tracker.observe(arrival(pallet, dockIn, 1))
        tracker.observe(move(pallet, dockIn, chute1, 4))
        tracker.observe(move(pallet, dockIn, chute1, 4))  // the same movement twice
        // An older move delivered late (a slow reader): it names the induction, before the chute.
        tracker.observe(move(pallet, dockIn, induction, 2))
        var journey = try #require(tracker.journey(of: pallet))
        #expect(journey.status == .sorted)
        #expect(journey.receivedAt == t(1))
        #expect(journey.sortedAt == t(4))
        // Back at induction (recirculated) and sorted again: the first chute time stays.
        tracker.observe(move(pallet, induction, chute1, 6))
        journey = try #require(tracker.journey(of: pallet))
        #expect(journey.status == .sorted)
        #expect(journey.sortedAt == t(4))
        #expect(journey.anomalies == [])
        // First seen at induction (the dock reader missed it): received then, in sort.
        tracker.observe(arrival(tote, induction, 7))
        let tote = try #require(tracker.journey(of: self.tote))
        #expect(tote.status == .inSort)
        #expect(tote.receivedAt == t(7))
    }

    @Test("Missorted, unexpected and left-without-loading, each with its time and zone")
    func anomalies() throws {
        var tracker = makeTracker()
        tracker.load([entry(pallet, to: chute1)])
        tracker.observe(arrival(pallet, dockIn, 1))
        tracker.observe(move(pallet, dockIn, chute2, 3))
        tracker.observe(arrival(tote, dockIn, 2))
        tracker.observe(move(tote, dockIn, staging, 4))
        tracker.observe(departure(tote, staging, 5))
        let pallet = try #require(tracker.journey(of: self.pallet))
        #expect(pallet.anomalies == [TransportAnomaly(kind: .missorted, at: t(3), zone: chute2, expectedZone: chute1)])
        let tote = try #require(tracker.journey(of: self.tote))
        #expect(tote.status == .departed)
        #expect(
            tote.anomalies == [
                TransportAnomaly(kind: .unexpected, at: t(2)),
                TransportAnomaly(kind: .leftWithoutLoading, at: t(5), zone: staging),
            ]
        )
        // Non-containers have no journey.
        tracker.observe(arrival(item, dockIn, 6))
        #expect(tracker.journey(of: item) == nil)
    }

    @Test("Missing once the clock passes expected-by; late when it turns up after all")
    func missing() throws {
        var tracker = makeTracker()
        tracker.load([entry(pallet, to: chute1, expectedBy: 10)])
        tracker.advance(to: t(10))
        #expect(tracker.journey(of: pallet)?.anomalies == [])
        var changed: [TransportJourney] = []
        tracker.drainChanges { changed.append($0) }
        tracker.advance(to: t(11))
        changed = []
        tracker.drainChanges { changed.append($0) }
        #expect(changed.map(\.container) == [pallet])
        #expect(changed.first?.anomalies == [TransportAnomaly(kind: .missing, at: t(10))])
        #expect(changed.first?.status == .expected)
        tracker.observe(arrival(pallet, dockIn, 12))
        let journey = try #require(tracker.journey(of: pallet))
        #expect(journey.status == .received)
        #expect(journey.anomalies == [TransportAnomaly(kind: .missing, at: t(10), receivedLateAt: t(12))])
    }

    @Test("Dwell: a stay beyond its zone type's limit, while it lasts and after it ended")
    func dwell() throws {
        var tracker = makeTracker(dwell: [.staging: .seconds(600)])
        tracker.observe(arrival(pallet, dockIn, 0))
        tracker.observe(move(pallet, dockIn, staging, 1))
        tracker.advance(to: t(5))
        #expect(tracker.journey(of: pallet)?.anomalies == [])
        tracker.advance(to: t(12))
        let expected = TransportAnomaly(kind: .dwell, at: t(11), zone: staging, limit: .seconds(600))
        #expect(tracker.journey(of: pallet)?.anomalies == [expected])
        tracker.observe(move(pallet, staging, dockOut, 20))
        #expect(tracker.journey(of: pallet)?.anomalies == [expected])
    }

    @Test("A manifest loaded after the containers were seen gives the same journeys; re-loading changes nothing")
    func lateManifest() throws {
        let movements = [
            arrival(pallet, dockIn, 1), move(pallet, dockIn, chute2, 3), arrival(tote, dockIn, 2),
        ]
        var before = makeTracker()
        before.load([entry(pallet, to: chute1)])
        for movement in movements { before.observe(movement) }
        var after = makeTracker()
        for movement in movements { after.observe(movement) }
        #expect(after.journey(of: tote)?.anomalies == [])  // no manifest yet: nothing is unexpected
        after.load([entry(pallet, to: chute1)])
        #expect(after.allJourneys == before.allJourneys)
        after.load([entry(pallet, to: chute1)])
        #expect(after.allJourneys == before.allJourneys)
        #expect(after.journey(of: tote)?.anomalies.map(\.kind) == [.unexpected])
    }

    @Test("A raised container excursion is a temperature anomaly, once")
    func temperature() throws {
        var tracker = makeTracker()
        tracker.observe(arrival(pallet, dockIn, 0))
        let id = AlertID(kind: .excursionHigh, subject: .container(pallet), startedAt: t(2))
        let raised = AlertEvent(transition: .raised, id: id, at: t(12), confirmedAt: t(12), peakCelsius: 11)
        let updated = AlertEvent(transition: .updated, id: id, at: t(13), confirmedAt: t(12), peakCelsius: 12)
        for event in [raised, updated, raised] {
            tracker.observe(
                alert: AlertFact(event: event, sensor: nil, zone: dockIn, className: "chilled", container: pallet)
            )
        }
        #expect(
            tracker.journey(of: pallet)?.anomalies == [
                TransportAnomaly(kind: .temperature, at: t(12), zone: dockIn, alert: id)
            ]
        )
    }

    @Test("Only the journeys that changed are drained, in EPC order")
    func drain() {
        var tracker = makeTracker()
        tracker.observe(arrival(tote, dockIn, 0))
        tracker.observe(arrival(pallet, dockIn, 0))
        var drained: [EPC] = []
        tracker.drainChanges { drained.append($0.container) }
        #expect(drained == [pallet, tote])
        drained = []
        tracker.drainChanges { drained.append($0.container) }
        #expect(drained == [])
        tracker.observe(move(tote, dockIn, office, 1))
        tracker.drainChanges { drained.append($0.container) }
        #expect(drained == [tote])
        #expect(tracker.journey(of: tote)?.status == .received)
    }
}
