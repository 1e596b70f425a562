public import Logging
public import SortgateCore

/// A `LogHandler` that writes each record as one line of logfmt or JSON, for journald and Loki.
///
/// A value, as swift-log requires: copies share only `output`, which takes whole lines, so two
/// threads logging at once never interleave within a line.
public struct LineLogHandler: LogHandler {
    /// The line layouts this handler writes (`LogFormat.text` is swift-log's `StreamLogHandler`).
    public enum Layout: Sendable {
        case logfmt
        case json
    }

    private let label: String
    private let layout: Layout
    private let output: any LogLineOutput
    private let now: @Sendable () -> EventTime

    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    /// - Parameters:
    ///   - now: the time stamped on each record; the wall clock unless a test fixes it.
    public init(
        label: String,
        layout: Layout,
        output: any LogLineOutput,
        metadataProvider: Logger.MetadataProvider? = nil,
        now: @escaping @Sendable () -> EventTime
    ) {
        self.label = label
        self.layout = layout
        self.output = output
        self.metadataProvider = metadataProvider
        self.now = now
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error {
            merged["error.message"] = "\(error)"
            merged["error.type"] = "\(String(reflecting: type(of: error)))"
        }
        let record = LogRecord(
            time: now(),
            level: event.level,
            label: label,
            message: event.message.description,
            metadata: merged
        )
        switch layout {
        case .logfmt: output.writeLine(record.logfmt)
        case .json: output.writeLine(record.jsonLine)
        }
    }
}

/// Where a ``LineLogHandler`` writes: one call per complete line.
public protocol LogLineOutput: Sendable {
    /// Writes `line` and a newline as one unit.
    func writeLine(_ line: String)
}
