public import Logging
public import SortgateCore

/// One log record as the line formats write it: what a `LogEvent` says, with the handler's
/// metadata merged in and the time it was logged.
public struct LogRecord: Sendable {
    /// Field names every line has; metadata with one of these names is written as `metadata.NAME`,
    /// so that it cannot hide the record's own field.
    public static let recordFields: Set<String> = ["ts", "level", "msg", "label"]

    public var time: EventTime
    public var level: Logger.Level
    public var label: String
    public var message: String
    /// Handler, provider and call-site metadata, merged in that order (the later wins).
    public var metadata: Logger.Metadata

    public init(time: EventTime, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) {
        self.time = time
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }

    /// The time as UTC RFC 3339 with milliseconds (`2026-12-07T05:30:00.123Z`): what journald,
    /// Loki and a reader need, without the nanoseconds the database keeps.
    var timestamp: String {
        // `rfc3339` is fixed-width (`YYYY-MM-DDThh:mm:ss.nnnnnnnnnZ`): keep the milliseconds.
        String(time.rfc3339.prefix(23)) + "Z"
    }

    /// Metadata in key order, each key renamed when it collides with a record field.
    var orderedMetadata: [(key: String, value: Logger.MetadataValue)] {
        metadata.sorted { $0.key < $1.key }.map {
            (Self.recordFields.contains($0.key) ? "metadata." + $0.key : $0.key, $0.value)
        }
    }
}
