import CoreMetrics
public import SortgateCore
import SortgateConfig

/// Turns raw device messages into pipeline events, and the pipeline's facts into sink
/// batches: the part of the gateway that replay and the live run share, so that a capture
/// replays exactly as it was processed live.
///
/// Every message gets the next per-source sequence number. Bad input never stops it: a message
/// (or one event inside a batch message) that cannot be decoded is counted by reason and kept
/// in the quarantine of the next batch, and the next message is processed normally. Not
/// thread-safe: one session is owned by one consumer.
public final class IngestSession {
    /// What the session has seen, beyond the pipeline's own totals.
    public struct Counters: Hashable, Sendable {
        public init() {}
        /// Messages (capture lines) handed to the session, good or bad.
        public var messages: UInt64 = 0
        /// Rejected messages and events, by reason.
        public var rejected: [RejectReason: UInt64] = [:]
        /// Non-tag events (antenna status, heartbeats, …) that were ignored.
        public var ignoredEvents: UInt64 = 0
        /// Reader buffer overflows reported by the readers themselves.
        public var readerOverflows: UInt64 = 0
        /// Messages recognised as byte-identical redeliveries of a recent message of the same
        /// device and topic (MQTT QoS 1 is at-least-once), and not processed again.
        public var redeliveredMessages: UInt64 = 0
        /// Batches written to the sink.
        public var batches: UInt64 = 0
        /// Sink writes that failed (each retried at the next flush).
        public var failedWrites: UInt64 = 0

        public var rejectedTotal: UInt64 { rejected.values.reduce(0, +) }
    }

    /// Per-device counters, indexed by source id.
    public struct SourceCounters: Hashable, Sendable {
        public var messages: UInt64 = 0
        /// Tag read events decoded (what `sortgate_source_reads_total` counts).
        public var reads: UInt64 = 0
        public var rejected: UInt64 = 0
        /// Modbus polls that failed (timeout, exception, connection), as recorded by the poller.
        public var failedPolls: UInt64 = 0
        /// Arrival time of the device's last message.
        public var lastMessage: EventTime?
    }

    /// Called with the alert transitions of each batch once it is committed (the live gateway
    /// logs them; monitors get them through the outbox routes).
    public var onCommittedAlerts: (([AlertFact]) -> Void)?

    /// Asked at every flush for a manifest that changed (see `ManifestReloader`); nil when the
    /// manifest is loaded once, by `loadManifest`.
    public var manifestUpdates: (() -> [ManifestContainer]?)?

    public let topology: SiteTopology
    public private(set) var pipeline: Pipeline
    public private(set) var counters = Counters()
    public private(set) var sourceCounters: [SourceCounters]
    private let metrics: [SourceMetrics]
    /// A batch whose write failed, written again (idempotently) before the next one.
    private var unwritten: FactBatch?
    private let sink: any FactSink
    private var sequence: [UInt64]
    private var recentMessages: [RecentDigests]
    /// The last `read_count` of each Modbus RFID reader, to see when a new tag was read.
    private var lastReadCount: [UInt64?]
    private var reads: [TagRead] = []
    private var quarantine: [QuarantinedMessage] = []
    /// Messages ingested since the last flush (0 right after a flush).
    public private(set) var messagesSinceFlush = 0
    /// While re-processing the ring after a crash: EPCs whose row was written with a ring
    /// position above the recovery start, and the position of the message being ingested. A read
    /// of such an EPC in a message below its row's position is in the row already.
    private var recoverySkips: [EPC: UInt64]?
    private var recoveryPosition: UInt64 = 0
    /// Reads left out while recovering because their row already counted them.
    public private(set) var recoverySkippedReads = 0
    /// Digests (by device) of every message the ring held at start, while a broker may still
    /// redeliver them: see `beginRecovery(skipping:ringMessages:)`.
    private var recoveredDigests: Set<UInt64>?
    private var recoveredDigestsLeft = 0
    /// The last complete ring position handed to the sink (a batch without facts is written
    /// only to move it on).
    public private(set) var lastCompleteRingPosition: UInt64?

    public init(topology: SiteTopology, sink: any FactSink) {
        self.topology = topology
        self.sink = sink
        self.pipeline = topology.makePipeline()
        self.sequence = Array(repeating: 0, count: topology.sources.count)
        self.sourceCounters = Array(repeating: SourceCounters(), count: topology.sources.count)
        self.recentMessages = Array(repeating: RecentDigests(), count: topology.sources.count)
        self.lastReadCount = Array(repeating: nil, count: topology.sources.count)
        self.metrics = topology.sources.names.map { SourceMetrics(source: $0) }
        reads.reserveCapacity(256)
    }

    /// Processes one recorded message (a capture line, or a test's message): exactly
    /// `ingest(_: RawMessage)` on the record's bytes, borrowed in place. A record naming no
    /// device of the site is rejected (`unknown-source`).
    public func ingest(_ record: CaptureRecord) {
        guard let source = topology.source(named: record.source) else {
            counters.messages += 1
            messagesSinceFlush += 1
            let detail =
                "no device '\(record.source)' in the site config" + (record.topic.map { " (topic \($0))" } ?? "")
            counters.rejected[.unknownSource, default: 0] += 1
            quarantine.append(
                QuarantinedMessage(
                    source: record.source,
                    at: record.time,
                    reason: .unknownSource,
                    detail: detail,
                    payload: record.payload ?? []
                )
            )
            return
        }
        guard var topic = record.topic else {
            ingest(record, source: source, topic: nil)
            return
        }
        topic.withUTF8 { ingest(record, source: source, topic: UnsafeRawBufferPointer($0)) }
    }

    private func ingest(_ record: CaptureRecord, source: SourceID, topic: UnsafeRawBufferPointer?) {
        if let poll = record.modbus {
            ingest(RawMessage(source: source, arrival: record.time, topic: topic, body: .modbus(poll)))
        } else if let payload = record.payload {
            payload.withUnsafeBytes { payload in
                ingest(RawMessage(source: source, arrival: record.time, topic: topic, body: .payload(payload)))
            }
        } else {
            ingest(RawMessage(source: source, arrival: record.time, topic: topic, body: .none))
        }
    }

    /// Processes one live or recorded message, borrowed: the single implementation behind both
    /// entry points. Allocates nothing per message in steady state for MQTT payloads (the
    /// redelivery digest is computed over the borrowed bytes; a quarantine entry is made only for
    /// a rejection). When to write a batch is the caller's decision (`FlushPolicy`).
    public func ingest(_ message: borrowing RawMessage) {
        counters.messages += 1
        messagesSinceFlush += 1
        decode(copy message)
    }

    private func decode(_ message: RawMessage) {
        let source = message.source
        let payload: UnsafeRawBufferPointer
        var truncatedLength: Int?
        switch message.body {
        case .modbus(let poll):
            decodePoll(poll, of: message)
            return
        case .none:
            reject(message, .malformedCapture, "the line carries neither a payload nor a Modbus poll", payload: nil)
            return
        case .payload(let bytes):
            payload = bytes
        case .truncated(let prefix, let length):
            payload = prefix
            truncatedLength = length
        }
        guard let decoder = topology.decoders[source.index] else {
            reject(
                message,
                .malformedCapture,
                "device '\(name(of: source))' is not an MQTT reader but the line carries an MQTT payload",
                payload: payload
            )
            return
        }
        let digest = Self.digest(payload, length: truncatedLength, topic: message.topic)
        if let ringDigests = recoveredDigests, !isNewAfterRecovery(digest, source: source, in: ringDigests) {
            counters.redeliveredMessages += 1
            return
        }
        guard recentMessages[source.index].insert(digest) else {
            counters.redeliveredMessages += 1
            return
        }
        sequence[source.index] += 1
        let seq = sequence[source.index]
        sourceCounters[source.index].messages += 1
        sourceCounters[source.index].lastMessage = message.arrival
        metrics[source.index].messages.increment()
        metrics[source.index].lastMessage.record(Double(message.arrival.nanoseconds) / 1e9)
        pipeline.noteMessage(source: source, seq: seq)
        if let truncatedLength {
            // Only a payload larger than the ring's largest message is truncated by the source.
            let detail =
                truncatedLength > decoder.maxPayload
                ? "payload is \(truncatedLength) bytes, above max_payload \(decoder.maxPayload)"
                : "payload is \(truncatedLength) bytes, above the event ring's largest message (config ring.max_message)"
            reject(message, .oversize, detail + topicSuffix(message), payload: payload)
            return
        }
        reads.removeAll(keepingCapacity: true)
        let summary: DecodeSummary
        do {
            summary = try decoder.decode(payload, source: source, seq: seq, arrival: message.arrival, into: &reads)
        } catch {
            reject(message, error.reason, error.detail + topicSuffix(message), payload: payload)
            return
        }
        counters.ignoredEvents += UInt64(summary.ignoredEvents)
        counters.readerOverflows += UInt64(summary.overflowWarnings)
        for rejection in summary.rejected {
            reject(message, rejection.reason, rejection.detail + topicSuffix(message), payload: payload)
        }
        if let skips = recoverySkips {
            reads.removeAll { read in
                guard let written = skips[read.epc], recoveryPosition < written else { return false }
                recoverySkippedReads += 1
                return true
            }
        }
        for read in reads {
            do throws(EPCError) {
                try pipeline.process(validating: read)
            } catch {
                reject(message, .invalidEPC, error.description + topicSuffix(message), payload: payload)
            }
        }
        sourceCounters[source.index].reads += UInt64(reads.count)
        metrics[source.index].reads.increment(by: reads.count)
    }

    private func name(of source: SourceID) -> String {
        topology.sources.name(of: source.index)
    }

    /// The plausible range of a temperature reading: beyond it a value is a probe error code
    /// (XY-MD02-style transmitters report −3276.8 or 3276.7 for a broken probe) or a garbled frame.
    public static let plausibleCelsius: ClosedRange<Double> = -100...150

    private func decodePoll(_ poll: CaptureRecord.ModbusPoll, of message: RawMessage) {
        let source = message.source
        let device = name(of: source)
        // What a quarantine entry keeps of a rejected poll; built only for one (formatting the
        // register list for every poll showed in the profiles: README, Benchmarks).
        func bytes() -> [UInt8] {
            Array("\(poll.table) \(poll.address) \(poll.registers ?? []) \(poll.error ?? "")".utf8)
        }
        guard let profile = topology.modbusProfiles[source.index] else {
            reject(
                message,
                .malformedCapture,
                "device '\(device)' is not a Modbus device but the line carries a Modbus poll",
                bytes: bytes()
            )
            return
        }
        sequence[source.index] += 1
        pipeline.noteMessage(source: source, seq: sequence[source.index])
        sourceCounters[source.index].messages += 1
        sourceCounters[source.index].lastMessage = message.arrival
        metrics[source.index].messages.increment()
        if poll.error != nil {
            sourceCounters[source.index].failedPolls += 1
            return
        }
        let values = profile.readings(from: poll)
        guard !values.isEmpty else {
            let table = poll.table
            reject(
                message,
                .registerMismatch,
                "device '\(device)': \(table) registers \(poll.address)..<\(poll.address + (poll.registers?.count ?? 0)) "
                    + "hold none of the registers of profile '\(profile.model)'",
                bytes: bytes()
            )
            return
        }
        for value in values where !value.value.isFinite {
            reject(
                message,
                .implausibleValue,
                "device '\(device)': register \(value.name) is not a number",
                bytes: bytes()
            )
            return
        }
        if let temperature = values.first(where: { $0.name == "temperature" }) {
            guard Self.plausibleCelsius.contains(temperature.value) else {
                reject(
                    message,
                    .implausibleValue,
                    "device '\(device)': temperature \(temperature.value) °C is outside "
                        + "\(Self.plausibleCelsius.lowerBound)…\(Self.plausibleCelsius.upperBound) °C (a probe error code?)",
                    bytes: bytes()
                )
                return
            }
            pipeline.process(
                SensorReading(
                    source: source,
                    seq: sequence[source.index],
                    time: message.arrival,
                    celsius: temperature.value
                )
            )
        }
        if profile.kind == .rfidReader {
            decodeLastTag(values, of: message, payload: bytes)
        }
    }

    /// A Modbus RFID reader's last-tag block: a changed `read_count` means the EPC in
    /// `epc_1` … `epc_N` was read (count − previous) more times; the first poll sets the baseline
    /// and counts as one read of the tag shown (it is there now). An all-zero EPC is "no tag yet".
    private func decodeLastTag(
        _ values: [RegisterReading],
        of message: RawMessage,
        payload: () -> [UInt8]
    ) {
        let source = message.source
        var byName: [String: Double] = [:]
        for value in values { byName[value.name] = value.value }
        guard let count = byName["read_count"].map({ UInt64(max(0, $0)) }) else { return }
        var words: [UInt16] = []
        while let word = byName["epc_\(words.count + 1)"] { words.append(UInt16(clamping: Int(word))) }
        let previous = lastReadCount[source.index]
        lastReadCount[source.index] = count
        let reads: UInt64
        if let previous {
            guard count != previous else { return }
            reads = count > previous ? count - previous : count &+ (UInt64(UInt32.max) - previous) &+ 1
        } else {
            reads = 1
        }
        guard !words.isEmpty, words.contains(where: { $0 != 0 }) else { return }
        let epc: EPC
        do {
            epc = try EPC(bytes: words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] })
            try EPCIdentity.validate(epc)
        } catch {
            reject(message, .invalidEPC, "device '\(name(of: source))': \(error.description)", bytes: payload())
            return
        }
        let read = TagRead(
            source: source,
            seq: sequence[source.index],
            time: message.arrival,
            epc: epc,
            antenna: UInt16(clamping: Int(byName["antenna"] ?? 0)),
            readCount: UInt32(clamping: reads)
        )
        pipeline.process(read)
        sourceCounters[source.index].reads += 1
        metrics[source.index].reads.increment()
    }

    /// Records a capture line that could not be parsed at all.
    public func reject(line error: CaptureLineError, at time: EventTime) {
        counters.messages += 1
        counters.rejected[.malformedCapture, default: 0] += 1
        quarantine.append(
            QuarantinedMessage(
                source: "capture:\(error.file):\(error.line)",
                at: time,
                reason: .malformedCapture,
                detail: error.reason,
                payload: error.excerpt
            )
        )
    }

    private func reject(
        _ message: RawMessage,
        _ reason: RejectReason,
        _ detail: String,
        payload: UnsafeRawBufferPointer?
    ) {
        reject(
            message,
            reason,
            detail,
            bytes: payload.map { Array($0.prefix(QuarantinedMessage.maximumPayloadBytes)) } ?? []
        )
    }

    private func reject(_ message: RawMessage, _ reason: RejectReason, _ detail: String, bytes: [UInt8]) {
        let source = message.source
        counters.rejected[reason, default: 0] += 1
        sourceCounters[source.index].rejected += 1
        metrics[source.index].rejected(reason).increment()
        quarantine.append(
            QuarantinedMessage(
                source: name(of: source),
                at: message.arrival,
                reason: reason,
                detail: detail,
                payload: bytes
            )
        )
    }

    /// A 64-bit digest of a message (topic and payload, and the size of a truncated one) over
    /// the borrowed bytes; within one process, so `Hasher`'s per-process seed is fine.
    private static func digest(_ payload: UnsafeRawBufferPointer, length: Int?, topic: UnsafeRawBufferPointer?)
        -> UInt64
    {
        var hasher = Hasher()
        if let topic {
            hasher.combine(topic.count)
            hasher.combine(bytes: topic)
        } else {
            hasher.combine(-1)
        }
        hasher.combine(length ?? -1)
        hasher.combine(bytes: payload)
        return UInt64(bitPattern: Int64(hasher.finalize()))
    }

    private func topicSuffix(_ message: RawMessage) -> String {
        message.topic.map { " (topic \(String(decoding: $0, as: UTF8.self)))" } ?? ""
    }

    /// Processes one message re-read from the event ring after a crash (see
    /// `beginRecovery(skipping:)`): `ingest`, except that reads an inventory row already counted
    /// (the row was written with a ring position above `position`) are left out.
    public func ingest(recovered message: borrowing RawMessage, position: UInt64) {
        recoveryPosition = position
        ingest(message)
    }

    /// Remembers a message whose effects are committed but that a broker may deliver again (it
    /// sat in the ring just below the recovery point: its acknowledgement may have died with the
    /// process), so that a redelivery is recognised as one. Nothing else is done with it.
    public func remember(recovered message: borrowing RawMessage) {
        let body: (UnsafeRawBufferPointer, Int?)
        switch message.body {
        case .payload(let bytes): body = (bytes, nil)
        case .truncated(let prefix, let length): body = (prefix, length)
        case .modbus, .none: return
        }
        guard topology.decoders[message.source.index] != nil else { return }
        let digest = Self.digest(body.0, length: body.1, topic: message.topic)
        recoveredDigests?.insert(Self.ringDigest(digest, source: message.source))
        _ = recentMessages[message.source.index].insert(digest)
    }

    /// Starts re-processing the ring: `skips` are the EPCs whose rows were written with a ring
    /// position above the recovery start (`SQLiteStore.inventoryRingPositions(above:)`).
    ///
    /// A broker resends, after a crash, every message it sent and did not see acknowledged, and
    /// that can be thousands (mosquitto 2.0 with a deep `max_queued_messages` does not hold its
    /// in-flight window to `max_inflight_messages`), far more than the per-device window of recent
    /// messages. So every message of the ring (history and re-processed) is remembered in one set
    /// until `ringMessages` more messages were ingested: a redelivery of any of them is recognised.
    public func beginRecovery(skipping skips: [EPC: UInt64], ringMessages: Int) {
        recoverySkips = skips
        recoverySkippedReads = 0
        recoveredDigests = Set(minimumCapacity: ringMessages)
        recoveredDigestsLeft = ringMessages
    }

    /// False when `digest` is one of a message the ring held at the last start (a redelivery);
    /// else remembers it while recovering, and counts down the set's lifetime while live.
    private func isNewAfterRecovery(_ digest: UInt64, source: SourceID, in set: Set<UInt64>) -> Bool {
        let ringDigest = Self.ringDigest(digest, source: source)
        if recoverySkips != nil { return recoveredDigests!.insert(ringDigest).inserted }
        recoveredDigestsLeft -= 1
        if recoveredDigestsLeft <= 0 { recoveredDigests = nil }
        return !set.contains(ringDigest)
    }

    /// A message digest told apart by device, for the one set over all devices.
    private static func ringDigest(_ digest: UInt64, source: SourceID) -> UInt64 {
        digest ^ (UInt64(source.rawValue) &* 0x9E37_79B9_7F4A_7C15)
    }

    /// Ends re-processing: every later message is ingested as usual.
    public func endRecovery() {
        recoverySkips = nil
    }

    /// Restores the inventory state a previous run left in the database, so a restarted gateway
    /// continues (no second arrival for what is still present, read counts carry on).
    public func restore(_ rows: [InventoryEntry]) {
        pipeline.restore(rows)
    }

    /// Restores the container journeys a previous run left in the database (see `restore`).
    public func restoreJourneys(_ journeys: [TransportJourney]) {
        pipeline.restoreJourneys(journeys)
    }

    /// Loads the manifest container journeys are judged against (replay and start-up).
    public func loadManifest(_ containers: [ManifestContainer]) {
        pipeline.loadManifest(containers)
    }

    /// Lets event time pass without messages (live mode), so quiet EPCs depart.
    public func advance(to time: EventTime) {
        pipeline.advance(to: time)
    }

    /// Lets cold-chain time pass without readings (live mode): see `Pipeline.advanceColdChain(to:)`.
    public func advanceColdChain(to time: EventTime) {
        pipeline.advanceColdChain(to: time)
    }

    /// Writes everything derived so far to the sink in one batch (nothing when there is nothing).
    ///
    /// A `periodic` flush leaves out rows whose only change is a newer `last_seen` (or more
    /// reads) until `dedup.last_seen_flush` of event time passed (see `Pipeline.takeBatch`), so
    /// the sink's writes scale with facts, not with reads; any other flush writes everything.
    ///
    /// When the write fails the batch is kept and written again, before anything newer, at the
    /// next flush: sink writes are idempotent, so a retry never duplicates a fact, and the
    /// consumer stalls (backpressure) rather than losing what it derived.
    ///
    /// `ringPosition` is the event-ring position every ingested message lies below (live
    /// gateway): the batch carries it, and a complete batch (no deferred refresh) is written even
    /// without facts when the position moved, so the database's recovery point follows.
    public func flush(periodic: Bool = false, ringPosition: UInt64? = nil) throws {
        messagesSinceFlush = 0
        if let containers = manifestUpdates?() { pipeline.loadManifest(containers) }
        if let pending = unwritten {
            do {
                try sink.write(pending)
            } catch {
                counters.failedWrites += 1
                throw error
            }
            unwritten = nil
            counters.batches += 1
        }
        var batch = pipeline.takeBatch(periodic: periodic)
        batch.quarantine = quarantine
        batch.ringPosition = ringPosition
        quarantine.removeAll(keepingCapacity: true)
        let movesRingPosition =
            batch.isComplete && ringPosition != nil && ringPosition != lastCompleteRingPosition
        guard !batch.isEmpty || movesRingPosition else { return }
        if batch.isComplete, ringPosition != nil { lastCompleteRingPosition = ringPosition }
        do {
            try sink.write(batch)
        } catch {
            counters.failedWrites += 1
            unwritten = batch
            throw error
        }
        counters.batches += 1
        if !batch.alerts.isEmpty { onCommittedAlerts?(batch.alerts) }
    }

    /// A one-line description of an alert transition, with device and zone names, for the log.
    public func describe(_ alert: AlertFact) -> String {
        let event = alert.event
        var subject: String
        switch event.subject {
        case .sensor(let sensor): subject = "sensor '\(topology.sources.name(of: sensor.index))'"
        case .zone(let zone): subject = "zone '\(topology.zones.name(of: zone.index))'"
        case .container(let epc): subject = "container \(epc.hex)"
        }
        if let zone = alert.zone, case .container = event.subject {
            subject += " in '\(topology.zones.name(of: zone.index))'"
        }
        var text =
            "cold-chain alert \(event.id.fingerprintHex) \(event.transition.rawValue): \(event.kind.rawValue) of \(subject)"
        if let className = alert.className { text += " (class \(className))" }
        text += ", started \(event.startedAt.rfc3339), confirmed \(event.confirmedAt.rfc3339)"
        if let cleared = event.clearedAt { text += ", cleared \(cleared.rfc3339)" }
        if let peak = event.peakCelsius { text += ", peak \((peak * 100).rounded() / 100) °C" }
        return text
    }
}
