import Foundation
public import SortgateCore

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
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Double(totals.tagEvents) / seconds : 0
    }
}

/// Feeds capture files through the same decoders and pipeline as a live run, into a sink.
public struct Replayer {
    public var speed: ReplaySpeed

    public init(speed: ReplaySpeed = .max) {
        self.speed = speed
    }

    /// Replays `files` in order into `session`, then writes the last batch.
    ///
    /// Time advances only through events: the replay stops at the last event's time, so
    /// departures due after it are not emitted. When the session writes through a
    /// ``PipelinedSink``, pass it as `pipelinedSink`: the replay ends (and its elapsed time is
    /// taken) once that sink has committed the last batch.
    public func run(
        files: [String],
        into session: IngestSession,
        pipelinedSink: PipelinedSink? = nil
    ) async throws -> ReplaySummary {
        let clock = ContinuousClock()
        let started = clock.now
        var firstRecorded: EventTime?
        var lastArrival = EventTime.distantPast
        for file in files {
            try await CaptureReader(path: file).forEachLine { line in
                switch line {
                case .success(let record):
                    if case .factor(let factor) = speed {
                        let origin = firstRecorded ?? record.time
                        firstRecorded = origin
                        let offset = Double((record.time - origin).nanosecondsClamped) / factor
                        let due = started + .nanoseconds(Int64(offset))
                        if due > clock.now { try await Task.sleep(until: due, clock: clock) }
                    }
                    lastArrival = Swift.max(lastArrival, record.time)
                    try session.ingest(record)
                case .failure(let error):
                    let at = lastArrival == .distantPast ? EventTime(nanoseconds: 0) : lastArrival
                    session.reject(line: error, at: at)
                }
            }
        }
        try session.flush()
        try pipelinedSink?.finish()
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
}
