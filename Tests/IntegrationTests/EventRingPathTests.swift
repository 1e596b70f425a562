import Foundation
import Logging
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateMQTT
import SortgateStore
import SortgateTestSupport
import Synchronization
import Testing

/// The live path's pieces around the event ring, each against the record-based path it replaces.
@Suite("Event ring live path")
struct EventRingPathTests {
    let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path

    /// Pushes a record into the ring as the MQTT source or the Modbus poller does.
    func push(_ record: CaptureRecord, into ring: EventRing, source: UInt16) {
        if let poll = record.modbus {
            let result = ModbusPollResult(source: SourceID(rawValue: source), device: record.source, time: record.time, poll: poll)
            #expect(ring.push(poll: result) == .accepted)
            return
        }
        var topic = record.topic ?? ""
        let result = topic.withUTF8 { topic in
            (record.payload ?? []).withUnsafeBytes { payload in
                ring.push(
                    source: source,
                    policy: .block,
                    arrival: record.time,
                    topic: UnsafeRawBufferPointer(topic),
                    payload: payload
                )
            }
        }
        #expect(result == .accepted)
    }

    @Test(
        "The demo capture through a small ring into ingest(RawMessage) gives the database and counters of ingest(record)"
    )
    func ringMatchesRecords() async throws {
        let viaRing = try TemporaryFolder()
        let viaRecords = try TemporaryFolder()
        let config = try demoConfig(port: 1883, folder: viaRing)
        let recordsConfig = try demoConfig(port: 1883, folder: viaRecords)
        func store(_ config: SiteConfig) throws -> SQLiteStore {
            guard case .sqlite(let path) = config.database else { fatalError("tests use SQLite") }
            return try SQLiteStore.forSite(config, path: path)
        }
        let ringStore = try store(config)
        let recordStore = try store(recordsConfig)
        let ringSession = IngestSession(topology: SiteTopology(config: config), sink: ringStore)
        let recordSession = IngestSession(topology: SiteTopology(config: recordsConfig), sink: recordStore)
        // 64 slots of 256 bytes: the demo's messages (up to 1.6 KiB) wrap the ring hundreds of times.
        let ring = EventRing.live(
            configuration: .init(slots: 64, slotSize: 256, maxMessageBytes: 64 * 256 - EventRing.headerSize),
            sources: config.devices.count
        )
        let topology = SiteTopology(config: config)
        var records: [CaptureRecord] = []
        try await CaptureReader(path: capture).forEachLine { line in
            if case .success(let record) = line { records.append(record) }
        }
        #expect(records.count == 6741)
        var consumed = 0
        for (index, record) in records.enumerated() {
            recordSession.ingest(record)
            push(record, into: ring, source: topology.source(named: record.source)!.rawValue)
            if index % 7 == 6 || index == records.count - 1 {
                _ = ring.consume(limit: 100, timeout: .zero) { slot in
                    consumed += 1
                    ringSession.ingest(RawMessage(slot))
                }
            }
        }
        #expect(consumed == records.count)
        try ringSession.flush()
        try recordSession.flush()
        #expect(ringSession.counters == recordSession.counters)
        #expect(ringSession.sourceCounters == recordSession.sourceCounters)
        #expect(ringSession.pipeline.totals == recordSession.pipeline.totals)
        #expect(ringSession.counters.messages == 6741)
        let contents = try DatabaseContents(ringStore)
        #expect(contents == (try DatabaseContents(recordStore)))
        #expect(contents.inventory.count > 100)
    }

    @Test("Modbus polls come out of the ring as they went in: registers, empty registers, an error")
    func modbusPolls() {
        let ring = EventRing.live(configuration: .init(slots: 16, slotSize: 64, maxMessageBytes: 1000), sources: 2)
        let polls = [
            CaptureRecord.ModbusPoll(table: "input", address: 1, registers: [42, 65535, 0, 7]),
            CaptureRecord.ModbusPoll(table: "holding", address: 40_000, registers: []),
            CaptureRecord.ModbusPoll(table: "coil", address: 3, registers: nil, error: "ETIMEDOUT"),
        ]
        for (index, poll) in polls.enumerated() {
            let result = ModbusPollResult(
                source: SourceID(1),
                device: "t",
                time: EventTime(seconds: 1_800_000_000 + Int64(index)),
                poll: poll
            )
            #expect(ring.push(poll: result) == .accepted)
        }
        var out: [CaptureRecord.ModbusPoll] = []
        var times: [EventTime] = []
        _ = ring.consume(limit: 10, timeout: .zero) { slot in
            let message = RawMessage(slot)
            #expect(message.source == SourceID(1) && message.topic == nil)
            times.append(message.arrival)
            if case .modbus(let poll) = message.body { out.append(poll) }
        }
        #expect(out == polls)
        #expect(times == (0..<3).map { EventTime(seconds: 1_800_000_000 + $0) })
    }

    @Test("A message too large for the ring is rejected as oversize with its start quarantined")
    func truncated() throws {
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: 1883, folder: folder)
        guard case .sqlite(let path) = config.database else { return }
        let store = try SQLiteStore.forSite(config, path: path)
        let session = IngestSession(topology: SiteTopology(config: config), sink: store)
        let prefix = [UInt8](repeating: UInt8(ascii: "x"), count: QuarantinedMessage.maximumPayloadBytes)
        let source = SiteTopology(config: config).source(named: "dock1-reader")!
        var topic = "readers/dock1/events"
        try topic.withUTF8 { topic in
            try prefix.withUnsafeBytes { prefix in
                try session.ingest(
                    RawMessage(
                        source: source,
                        arrival: EventTime(seconds: 1_800_000_000),
                        topic: UnsafeRawBufferPointer(topic),
                        body: .truncated(prefix: prefix, length: 2_000_000)
                    )
                )
            }
        }
        try session.flush()
        #expect(session.counters.rejected == [.oversize: 1])
        #expect(session.sourceCounters[source.index].messages == 1)
        let quarantined = try store.quarantined()
        #expect(quarantined.count == 1)
        #expect(quarantined.first?.source == "dock1-reader")
        #expect(
            quarantined.first?.detail
                == "payload is 2000000 bytes, above max_payload 65536 (topic readers/dock1/events)"
        )
        #expect(quarantined.first?.payload == prefix)
    }

    @Test("Capture lines written from borrowed messages read back as the same records, byte for byte")
    func captureLines() async throws {
        let folder = try TemporaryFolder()
        let time = EventTime(seconds: 1_800_000_000, nanoseconds: 123_456_789)
        let records = [
            CaptureRecord(
                time: time,
                source: "dock1-reader",
                topic: "readers/dock1/events",
                payload: Array(#"{"a":"q\"b\\s/l","n":"\n\t\u{01}","u":"é€😀"}"#.utf8)
            ),
            CaptureRecord(
                time: time,
                source: "dock1-reader",
                topic: "readers/dock1/events",
                payload: [0xFF, 0x00, 0x80, 1, 2]
            ),
            CaptureRecord(time: time, source: "dock1-reader", topic: "readers/dock1/events", payload: []),
            CaptureRecord(time: time, source: "t1", modbus: .init(table: "input", address: 1, registers: [42, 65535])),
            CaptureRecord(time: time, source: "t1", modbus: .init(table: "holding", address: 5, error: "ETIMEDOUT")),
        ]
        let writer = try CaptureWriter(path: folder.path("raw.jsonl"))
        let viaRecords = try CaptureWriter(path: folder.path("records.jsonl"))
        for record in records {
            try viaRecords.append(record)
            var topic = record.topic
            let write: (UnsafeRawBufferPointer?) throws -> Void = { topic in
                if let poll = record.modbus {
                    try writer.append(
                        RawMessage(source: SourceID(0), arrival: record.time, topic: topic, body: .modbus(poll)),
                        source: record.source
                    )
                } else {
                    try record.payload!.withUnsafeBytes {
                        try writer.append(
                            RawMessage(source: SourceID(0), arrival: record.time, topic: topic, body: .payload($0)),
                            source: record.source
                        )
                    }
                }
            }
            if topic != nil { try topic!.withUTF8 { try write(UnsafeRawBufferPointer($0)) } } else { try write(nil) }
        }
        try writer.close()
        try viaRecords.close()
        let rawBytes = try Data(contentsOf: folder.url.appendingPathComponent("raw.jsonl"))
        #expect(rawBytes == (try Data(contentsOf: folder.url.appendingPathComponent("records.jsonl"))))
        var read: [CaptureRecord] = []
        try await CaptureReader(path: folder.path("raw.jsonl")).forEachLine { line in
            if case .success(let record) = line { read.append(record) }
        }
        #expect(read == records)
        let text = String(decoding: rawBytes, as: UTF8.self)
        #expect(text.contains(#""payload_b64":"/wCAAQI=""#))
        #expect(text.contains(#""modbus":{"table":"holding","address":5,"error":"ETIMEDOUT"}"#))
    }

    @Test("MQTTClient's borrowing handler gets each topic and payload as published, empty payloads included")
    func borrowingHandler() async throws {
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let received = Mutex<[(String, [UInt8])]>([])
        var logger = Logger(label: "raw-client")
        logger.logLevel = .warning
        let client = MQTTClient(
            borrowing: .init(
                host: "127.0.0.1",
                port: broker.port,
                clientID: "raw-test",
                subscriptions: [.init("raw/#", qos: 1)]
            ),
            logger: logger,
            rawMessageHandler: { message in
                let entry = (String(decoding: message.topic, as: UTF8.self), Array(message.payload))
                received.withLock { $0.append(entry) }
            }
        )
        try client.start()
        defer { client.stop() }
        #expect(await eventually(timeout: .seconds(10)) { client.statistics.subscriptionsGranted >= 1 })
        let messages: [(String, [UInt8])] = [("raw/a", Array("hello".utf8)), ("raw/b/c", []), ("raw/a", [0, 255, 10])]
        try await publish(messages, port: broker.port)
        #expect(await eventually(timeout: .seconds(10)) { received.withLock { $0.count } == 3 })
        let got = received.withLock { $0 }
        #expect(got.map(\.0) == messages.map(\.0))
        #expect(got.map(\.1) == messages.map(\.1))
    }
}
