/// How `sortgate` writes its log lines to standard error.
///
/// `text` is swift-log's own `StreamLogHandler` layout, for a person at a terminal. `logfmt` and
/// `json` write one self-contained line per record for collectors: journald keeps each line as one
/// entry, and Loki (or anything reading JSON lines) can index the level, label and every metadata
/// key without a parsing rule written for sortgate.
public enum LogFormat: String, CaseIterable, Sendable {
    case text
    case logfmt
    case json
}
