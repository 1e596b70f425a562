public import Logging
import Synchronization

/// Keeps every log entry a component wrote, so tests can check what an operator would read (the MQTT
/// client's connection lines, the HTTP API's logged acknowledgements).
public final class LogStore: Sendable {
    public struct Entry: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    public var all: [Entry] {
        entries.withLock { $0 }
    }

    public func contains(level: Logger.Level? = nil, _ text: String) -> Bool {
        all.contains { entry in
            (level == nil || entry.level == level) && entry.message.contains(text)
        }
    }

    func append(_ entry: Entry) {
        entries.withLock { $0.append(entry) }
    }

    /// A logger writing every entry at debug and above into this store.
    public var logger: Logger {
        var logger = Logger(label: "sortgate.mqtt.test") { _ in CapturingLogHandler(store: self) }
        logger.logLevel = .debug
        return logger
    }
}

struct CapturingLogHandler: LogHandler {
    let store: LogStore
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        merged.merge(event.metadata ?? [:]) { _, new in new }
        store.append(
            LogStore.Entry(
                level: event.level,
                message: "\(event.message)",
                metadata: merged.mapValues { "\($0)" }
            )
        )
    }
}
