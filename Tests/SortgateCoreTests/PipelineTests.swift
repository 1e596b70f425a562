import Testing

@testable import SortgateCore

@Suite("Pipeline")
struct PipelineTests {
    let dock = ZoneID(0)
    let chute = ZoneID(1)
    let zebra = SourceID(0)
    let impinj = SourceID(1)
    let epc = try! EPC(hex: "3074257BF7194E4000001A85")

    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    func makePipeline() -> Pipeline {
        var points = ReadPointMap()
        points.map(source: zebra, antenna: 1, to: dock)
        points.map(source: zebra, antenna: 2, to: dock)
        points.setDefault(source: impinj, zone: chute)
        return Pipeline(configuration: .init(absentAfter: .seconds(30), readPoints: points, sourceCount: 2))
    }

    @Test("Read points map reads to zones; redelivered vendor events are not counted twice")
    func redelivery() {
        var pipeline = makePipeline()
        let first = TagRead(source: zebra, seq: 1, time: t(0), epc: epc, antenna: 1, readCount: 4, vendorEventNumber: 7)
        pipeline.noteMessage(source: zebra, seq: 1)
        pipeline.process(first)
        var again = first
        again.seq = 2
        pipeline.noteMessage(source: zebra, seq: 2)
        pipeline.process(again)
        pipeline.noteMessage(source: impinj, seq: 1)
        pipeline.process(TagRead(source: impinj, seq: 1, time: t(3), epc: epc, antenna: 9))
        let batch = pipeline.takeBatch()
        #expect(
            batch.movements == [
                Movement(epc: epc, kind: .arrival, from: nil, to: dock, at: t(0)),
                Movement(epc: epc, kind: .move, from: dock, to: chute, at: t(3)),
            ]
        )
        #expect(batch.inventory.count == 1)
        #expect(batch.inventory.first?.reads == 5)
        #expect(pipeline.sources[0].redelivered == 1)
        #expect(pipeline.totals.tagReads == 5)
        #expect(pipeline.totals.tagEvents == 2)
        #expect(pipeline.totals.arrivals == 1)
        #expect(pipeline.totals.moves == 1)
    }

    @Test("Reads on unmapped antennas are counted and change nothing")
    func unmapped() {
        var pipeline = makePipeline()
        pipeline.process(TagRead(source: zebra, seq: 1, time: t(0), epc: epc, antenna: 3))
        #expect(pipeline.sources[0].unmappedReads == 1)
        #expect(pipeline.takeBatch().isEmpty)
    }

    @Test("Sequence gaps and regressions are counted per source")
    func sequenceIntegrity() {
        var pipeline = makePipeline()
        for seq: UInt64 in [1, 2, 5, 4, 6, 6] { pipeline.noteMessage(source: zebra, seq: seq) }
        #expect(pipeline.sources[0].seqGaps == 2)
        #expect(pipeline.sources[0].seqRegressions == 2)
        #expect(pipeline.sources[0].lastSeq == 6)
        #expect(pipeline.sources[1].seqGaps == 0)
    }

    @Test("advance(to:) departs quiet EPCs and the next batch carries the departure and the row")
    func quietDeparture() {
        var pipeline = makePipeline()
        pipeline.process(TagRead(source: impinj, seq: 1, time: t(0), epc: epc, antenna: 1))
        _ = pipeline.takeBatch()
        pipeline.advance(to: t(31))
        let batch = pipeline.takeBatch()
        #expect(batch.movements == [Movement(epc: epc, kind: .departure, from: chute, to: nil, at: t(0))])
        #expect(batch.inventory.map(\.status) == [.departed])
        #expect(pipeline.totals.departures == 1)
    }
}

@Suite("Pipeline cold chain")
struct PipelineColdChainTests {
    let sensor = SourceID(0)
    let reader = SourceID(1)
    let coldRoom = ZoneID(0)
    let dock = ZoneID(1)
    let epc = try! EPC(hex: "3074257BF7194E4000001A85")

    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    func makePipeline() throws -> Pipeline {
        var points = ReadPointMap()
        points.setDefault(source: sensor, zone: coldRoom)
        points.map(source: reader, antenna: 1, to: dock)
        let limits = try TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(600), offlineAfter: .seconds(600))
        let coldChain = ColdChainMonitor(
            sensors: [sensor: coldRoom],
            zoneClasses: [coldRoom: .init(name: "chilled", limits: limits)]
        )
        return Pipeline(
            configuration: .init(absentAfter: .seconds(30), readPoints: points, sourceCount: 2, coldChain: coldChain)
        )
    }

    @Test("A reader whose clock runs an hour ahead does not make a reporting sensor look silent")
    func readerClockAhead() throws {
        var pipeline = try makePipeline()
        pipeline.process(SensorReading(source: sensor, seq: 1, time: t(0), celsius: 4))
        pipeline.process(TagRead(source: reader, seq: 1, time: t(3600), epc: epc, antenna: 1))
        pipeline.process(SensorReading(source: sensor, seq: 2, time: t(5), celsius: 4))
        pipeline.process(TagRead(source: reader, seq: 2, time: t(3605), epc: epc, antenna: 1))
        #expect(pipeline.takeBatch().alerts.isEmpty)
    }

    @Test("A sensor that stops reporting goes offline as cold-chain time passes, not as tag reads come")
    func silentSensor() throws {
        var pipeline = try makePipeline()
        pipeline.process(SensorReading(source: sensor, seq: 1, time: t(0), celsius: 4))
        for minute in Int64(1)...11 {
            pipeline.process(TagRead(source: reader, seq: UInt64(minute), time: t(minute * 60), epc: epc, antenna: 1))
        }
        #expect(pipeline.takeBatch().alerts.isEmpty)
        #expect(pipeline.latestReading == t(0))
        // What the live gateway does as wall time passes since the latest reading.
        pipeline.advanceColdChain(to: t(601))
        let alerts = pipeline.takeBatch().alerts
        #expect(alerts.map(\.event.kind) == [.sensorOffline])
        #expect(alerts.first?.event.startedAt == t(0))
        #expect(alerts.first?.event.confirmedAt == t(600))
        #expect(alerts.first?.sensor == sensor)
        #expect(alerts.first?.className == "chilled")
    }
}

@Suite("Pipeline periodic batches")
struct PipelinePeriodicBatchTests {
    let dock = ZoneID(0)
    let chute = ZoneID(1)
    let reader = SourceID(0)
    let epcA = try! EPC(hex: "3074257BF7194E4000001A85")
    let epcB = try! EPC(hex: "3074257BF7194E4000001A86")

    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    func read(_ epc: EPC, antenna: UInt16, at seconds: Int64) -> TagRead {
        TagRead(source: reader, seq: UInt64(seconds + 1), time: t(seconds), epc: epc, antenna: antenna)
    }

    @Test("Periodic batches carry every fact at once, but last_seen refreshes only every last_seen_flush")
    func refreshesWaitForTheirInterval() {
        var points = ReadPointMap()
        points.map(source: reader, antenna: 1, to: dock)
        points.map(source: reader, antenna: 2, to: chute)
        var pipeline = Pipeline(
            configuration: .init(
                absentAfter: .seconds(60),
                readPoints: points,
                sourceCount: 1,
                lastSeenFlush: .seconds(10)
            )
        )
        pipeline.process(read(epcA, antenna: 1, at: 0))
        pipeline.process(read(epcB, antenna: 1, at: 0))
        // The first periodic batch: two arrivals, two rows.
        var batch = pipeline.takeBatch(periodic: true)
        #expect(batch.movements.map(\.kind) == [.arrival, .arrival])
        #expect(batch.inventory.map(\.epc).sorted { $0.hex < $1.hex } == [epcA, epcB])

        // 4 s later: A refreshed only, B moved. Only B's row (a fact) is written.
        pipeline.process(read(epcA, antenna: 1, at: 2))
        pipeline.process(read(epcB, antenna: 2, at: 4))
        batch = pipeline.takeBatch(periodic: true)
        #expect(batch.movements == [Movement(epc: epcB, kind: .move, from: dock, to: chute, at: t(4))])
        #expect(batch.inventory.map(\.epc) == [epcB])

        // 11 s after the first batch: A's pending refresh is written with its latest last_seen.
        pipeline.process(read(epcA, antenna: 1, at: 11))
        batch = pipeline.takeBatch(periodic: true)
        #expect(batch.movements.isEmpty)
        #expect(batch.inventory.count == 1)
        #expect(batch.inventory.first?.epc == epcA)
        #expect(batch.inventory.first?.lastSeen == t(11))
        #expect(batch.inventory.first?.reads == 3)

        // A final (non-periodic) batch writes whatever refresh is pending, at once.
        pipeline.process(read(epcB, antenna: 2, at: 12))
        #expect(pipeline.takeBatch(periodic: true).inventory.isEmpty)
        batch = pipeline.takeBatch()
        #expect(batch.inventory.map(\.epc) == [epcB])
        #expect(batch.inventory.first?.lastSeen == t(12))
        #expect(pipeline.takeBatch().isEmpty)
    }
}

@Suite("Pipeline EPC validation")
struct PipelineValidationTests {
    let reader = SourceID(0)
    let dock = ZoneID(0)
    let good = try! EPC(hex: "3074257BF7194E4000001A85")
    /// SGTIN-96 header with partition 7, which the Tag Data Standard reserves.
    let malformed = try! EPC(hex: "30FC257BF7194E4000001A85")

    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    @Test("A malformed EPC is thrown, changes nothing and does not move the clock")
    func malformedEPC() throws {
        var points = ReadPointMap()
        points.setDefault(source: reader, zone: dock)
        var pipeline = Pipeline(configuration: .init(absentAfter: .seconds(30), readPoints: points, sourceCount: 1))
        try pipeline.process(validating: TagRead(source: reader, seq: 1, time: t(0), epc: good, antenna: 1))
        #expect(throws: EPCError.self) {
            try pipeline.process(validating: TagRead(source: reader, seq: 2, time: t(100), epc: malformed, antenna: 1))
        }
        #expect(pipeline.clock == t(0))
        #expect(pipeline.totals.tagEvents == 1)
        #expect(pipeline.tracker.entry(for: malformed) == nil)
        #expect(pipeline.takeBatch().movements == [Movement(epc: good, kind: .arrival, from: nil, to: dock, at: t(0))])
        // Known EPCs keep being processed.
        try pipeline.process(validating: TagRead(source: reader, seq: 3, time: t(5), epc: good, antenna: 1))
        #expect(pipeline.tracker.entry(for: good)?.reads == 2)
    }
}

@Suite("Pipeline transport")
struct PipelineTransportTests {
    let dock = ZoneID(0)
    let coldRoom = ZoneID(1)
    let reader = SourceID(0)
    let dockSensor = SourceID(1)
    let coldSensor = SourceID(2)
    let pallet = try! EPC(hex: "3174257BF4499602D2000000")  // an SSCC-96, filter 1

    func t(_ seconds: Int64) -> EventTime { EventTime(seconds: 1_800_000_000 + seconds) }

    func makePipeline() throws -> Pipeline {
        var points = ReadPointMap()
        points.map(source: reader, antenna: 1, to: dock)
        points.setDefault(source: dockSensor, zone: dock)
        points.setDefault(source: coldSensor, zone: coldRoom)
        let limits = try TemperatureLimits(min: 2, max: 8, alarmDelay: .seconds(600), offlineAfter: .seconds(600))
        let coldChain = ColdChainMonitor(
            sensors: [dockSensor: dock, coldSensor: coldRoom],
            zoneClasses: [coldRoom: .init(name: "chilled", limits: limits)]
        )
        return Pipeline(
            configuration: .init(
                absentAfter: .seconds(3600),
                readPoints: points,
                sourceCount: 3,
                coldChain: coldChain,
                transport: .init(zoneRoles: [.dockIn, .coldRoom])
            )
        )
    }

    /// The pallet waits 15 minutes on the 15 °C dock and never enters the cold room.
    func run(_ pipeline: inout Pipeline) -> FactBatch {
        var batch = FactBatch()
        for minute in Int64(0)...15 {
            pipeline.process(
                SensorReading(source: dockSensor, seq: UInt64(minute + 1), time: t(minute * 60), celsius: 15)
            )
            pipeline.process(
                TagRead(source: reader, seq: UInt64(minute + 1), time: t(minute * 60 + 1), epc: pallet, antenna: 1)
            )
            let taken = pipeline.takeBatch()
            batch.alerts += taken.alerts
            batch.transport += taken.transport
        }
        return batch
    }

    @Test("A pallet its manifest calls chilled is watched on the warm dock; without a manifest class it is not")
    func manifestClass() throws {
        var unclassed = try makePipeline()
        #expect(run(&unclassed).alerts.isEmpty)

        var classed = try makePipeline()
        var identity = pallet
        identity.setBits(at: 8, count: 3, to: 0)  // the manifest names it without the tag's filter
        classed.loadManifest([
            ManifestContainer(
                container: identity,
                shipment: "S1",
                destination: nil,
                destinationName: "route 7",
                temperatureClass: "chilled"
            )
        ])
        let batch = run(&classed)
        // On the dock from t(1), at 15 °C from the dock's reading of t(0): confirmed 10 minutes later.
        #expect(batch.alerts.map(\.event.transition) == [.raised])
        #expect(batch.alerts.first?.event.kind == .excursionHigh)
        #expect(batch.alerts.first?.event.confirmedAt == t(601))
        #expect(batch.alerts.first?.className == "chilled")
        let journey = try #require(batch.transport.last)
        #expect(journey.container == pallet)
        #expect(journey.manifest?.shipment == "S1")
        #expect(journey.status == .received)
        #expect(journey.anomalies.map(\.kind) == [.temperature])
        #expect(journey.temperature?.maxCelsius == 15)
    }
}
