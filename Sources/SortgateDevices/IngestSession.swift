public import SortgateCore

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
        /// Messages (capture lines) handed to the session, good or bad.
        public var messages: UInt64 = 0
        /// Rejected messages and events, by reason.
        public var rejected: [RejectReason: UInt64] = [:]
        /// Non-tag events (antenna status, heartbeats, …) that were ignored.
        public var ignoredEvents: UInt64 = 0
        /// Reader buffer overflows reported by the readers themselves.
        public var readerOverflows: UInt64 = 0
        /// Batches written to the sink.
        public var batches: UInt64 = 0

        public var rejectedTotal: UInt64 { rejected.values.reduce(0, +) }
    }

    /// Flush once this many messages were ingested since the last batch.
    public var messagesPerBatch = 8192

    public let topology: SiteTopology
    public private(set) var pipeline: Pipeline
    public private(set) var counters = Counters()
    private let sink: any FactSink
    private var sequence: [UInt64]
    private var reads: [TagRead] = []
    private var quarantine: [QuarantinedMessage] = []
    private var messagesSinceFlush = 0

    public init(topology: SiteTopology, sink: any FactSink) {
        self.topology = topology
        self.sink = sink
        self.pipeline = topology.makePipeline()
        self.sequence = Array(repeating: 0, count: topology.sources.count)
        reads.reserveCapacity(256)
    }

    /// Processes one recorded or live message. Writes a batch when enough messages accumulated.
    public func ingest(_ record: CaptureRecord) throws {
        counters.messages += 1
        messagesSinceFlush += 1
        decode(record)
        if messagesSinceFlush >= messagesPerBatch { try flush() }
    }

    private func decode(_ record: CaptureRecord) {
        guard let source = topology.source(named: record.source) else {
            reject(
                record,
                .unknownSource,
                "no device '\(record.source)' in the site config" + topicSuffix(record),
                payload: record.payload ?? []
            )
            return
        }
        guard let payload = record.payload else {
            reject(record, .malformedCapture, "Modbus polls are replayed by the Modbus poller", payload: [])
            return
        }
        guard let decoder = topology.decoders[source.index] else {
            reject(
                record,
                .malformedCapture,
                "device '\(record.source)' is not an MQTT reader but the line carries an MQTT payload",
                payload: payload
            )
            return
        }
        sequence[source.index] += 1
        let seq = sequence[source.index]
        pipeline.noteMessage(source: source, seq: seq)
        reads.removeAll(keepingCapacity: true)
        let summary: DecodeSummary
        do {
            summary = try decoder.decode(payload, source: source, seq: seq, arrival: record.time, into: &reads)
        } catch {
            reject(record, error.reason, error.detail + topicSuffix(record), payload: payload)
            return
        }
        counters.ignoredEvents += UInt64(summary.ignoredEvents)
        counters.readerOverflows += UInt64(summary.overflowWarnings)
        for rejection in summary.rejected {
            reject(record, rejection.reason, rejection.detail + topicSuffix(record), payload: payload)
        }
        for read in reads {
            do {
                try EPCIdentity.validate(read.epc)
            } catch {
                reject(record, .invalidEPC, error.description + topicSuffix(record), payload: payload)
                continue
            }
            pipeline.process(read)
        }
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

    private func reject(_ record: CaptureRecord, _ reason: RejectReason, _ detail: String, payload: [UInt8]) {
        counters.rejected[reason, default: 0] += 1
        quarantine.append(
            QuarantinedMessage(source: record.source, at: record.time, reason: reason, detail: detail, payload: payload)
        )
    }

    private func topicSuffix(_ record: CaptureRecord) -> String {
        record.topic.map { " (topic \($0))" } ?? ""
    }

    /// Lets event time pass without messages (live mode), so quiet EPCs depart.
    public func advance(to time: EventTime) {
        pipeline.advance(to: time)
    }

    /// Writes everything derived so far to the sink in one batch (nothing when there is nothing).
    public func flush() throws {
        messagesSinceFlush = 0
        var batch = pipeline.takeBatch()
        batch.quarantine = quarantine
        quarantine.removeAll(keepingCapacity: true)
        guard !batch.isEmpty else { return }
        try sink.write(batch)
        counters.batches += 1
    }
}
