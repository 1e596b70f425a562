import Foundation
public import SortgateCore
import SortgateConfig

/// How fast a replay goes.
public enum ReplaySpeed: Hashable, Sendable, CustomStringConvertible {
    /// As fast as the pipeline allows, ignoring recorded pacing.
    case max
    /// Recorded pacing, `factor` times faster (1 = real time).
    case factor(Double)

    /// Parses `max` or a positive number.
    public init?(argument: String) {
        if argument == "max" {
            self = .max
        } else if let value = Double(argument), value > 0, value.isFinite {
            self = .factor(value)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .max: "max"
        case .factor(let value): "\(value)x"
        }
    }
}

/// What a replay did, printed at its end.
public struct ReplaySummary: Sendable {
    public var files: [String]
    public var session: IngestSession.Counters
    public var totals: Pipeline.Totals
    public var redelivered: UInt64
    public var unmappedReads: UInt64
    public var seqGaps: UInt64
    /// Event time of the last event (where the replay's clock stopped).
    public var lastEventTime: EventTime?
    public var elapsed: Duration

    /// Tag read events per second of wall time.
    public var readsPerSecond: Double {
        let seconds = elapsed.inSeconds
        return seconds > 0 ? Double(totals.tagEvents) / seconds : 0
    }
}

/// Feeds capture files through the same decoders and pipeline as a live run, into a sink.
public struct Replayer {
    public var speed: ReplaySpeed
    /// When a batch is written (by message count: a replay has no wall-clock interval).
    public var flushPolicy: FlushPolicy
    /// The least wall time between two calls of a `run`'s `progress`: a terminal redraws its
    /// progress line at most 4 times a second.
    public var progressInterval: Duration

    public init(
        speed: ReplaySpeed = .max,
        flushPolicy: FlushPolicy = .replay,
        progressInterval: Duration = .milliseconds(250)
    ) {
        self.speed = speed
        self.flushPolicy = flushPolicy
        self.progressInterval = progressInterval
    }

    /// Replays `files` in order into `session`, then writes the last batch.
    ///
    /// Time advances only through events: the replay stops at the last event's time, so
    /// departures due after it are not emitted. When the session writes through a
    /// ``BatchWriter``, pass it as `writer`: the replay ends (and its elapsed time is taken) once
    /// that writer has committed the last batch. `progress`, when given, is called at most once
    /// per `progressInterval` with how far the replay has got; it costs nothing when nil.
    public func run(
        files: [String],
        into session: IngestSession,
        writer: BatchWriter? = nil,
        progress: ((ReplayProgress) -> Void)? = nil
    ) async throws -> ReplaySummary {
        let clock = ContinuousClock()
        let started = clock.now
        var firstRecorded: EventTime?
        var lastArrival = EventTime.distantPast
        let sources = SourceNameIndex(session.topology.sources.names)
        let sizes = files.map(Self.fileSize)
        let bytesTotal = sizes.reduce(0, +)
        var lastProgress = started
        for (fileIndex, file) in files.enumerated() {
            let bytesBeforeFile = sizes[..<fileIndex].reduce(0, +)
            // Lines are borrowed from the reader's buffer and handed to the session as raw
            // messages: no allocation per line (a line naming no device of the site takes the
            // record path, which rejects it as `unknown-source`).
            try await CaptureReader(path: file).forEachLineView(
                { line in
                    if let progress, clock.now - lastProgress >= progressInterval {
                        lastProgress = clock.now
                        progress(
                            ReplayProgress(
                                bytesDone: bytesBeforeFile + Int64(line.endOffset),
                                bytesTotal: bytesTotal,
                                reads: session.pipeline.totals.tagEvents,
                                elapsed: lastProgress - started
                            )
                        )
                    }
                    if case .factor(let factor) = speed {
                        let origin = firstRecorded ?? line.time
                        firstRecorded = origin
                        let offset = Double((line.time - origin).nanosecondsClamped) / factor
                        let due = started + .nanoseconds(Int64(offset))
                        if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                    }
                    lastArrival = Swift.max(lastArrival, line.time)
                    if flushPolicy.isDue(messages: session.messagesSinceFlush, elapsed: .zero) {
                        try session.flush(periodic: true)
                    }
                    guard let source = sources.source(named: line.source) else {
                        session.ingest(line.record())
                        return
                    }
                    let body: RawMessage.Body
                    if let poll = line.modbus {
                        body = .modbus(poll)
                    } else if let payload = line.payload {
                        body = .payload(payload)
                    } else {
                        body = .none
                    }
                    session.ingest(RawMessage(source: source, arrival: line.time, topic: line.topic, body: body))
                },
                failed: { error in
                    let at = lastArrival == .distantPast ? EventTime(nanoseconds: 0) : lastArrival
                    session.reject(line: error, at: at)
                }
            )
        }
        try session.flush()
        try writer?.finish()
        let pipeline = session.pipeline
        return ReplaySummary(
            files: files,
            session: session.counters,
            totals: pipeline.totals,
            redelivered: session.counters.redeliveredMessages + pipeline.sources.reduce(0) { $0 + $1.redelivered },
            unmappedReads: pipeline.sources.reduce(0) { $0 + $1.unmappedReads },
            seqGaps: pipeline.sources.reduce(0) { $0 + $1.seqGaps },
            lastEventTime: pipeline.clock == .distantPast ? nil : pipeline.clock,
            elapsed: clock.now - started
        )
    }

    /// A file's size in bytes; 0 when it cannot be read (the reader then says why).
    private static func fileSize(_ path: String) -> Int64 {
        var status = stat()
        return stat(path, &status) == 0 ? Int64(status.st_size) : 0
    }
}

/// Device ids looked up by their UTF-8 bytes, without making a `String` per capture line.
struct SourceNameIndex {
    private let names: [[UInt8]]

    init(_ names: [String]) {
        self.names = names.map { Array($0.utf8) }
    }

    func source(named bytes: UnsafeRawBufferPointer) -> SourceID? {
        for (index, name) in names.enumerated() where name.count == bytes.count {
            let equal = name.withUnsafeBytes { $0.elementsEqual(bytes) }
            if equal { return SourceID(index) }
        }
        return nil
    }
}
