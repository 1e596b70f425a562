import Metrics
import SortgateCore
import SortgateConfig

/// The swift-metrics instruments of one device (labels `sortgate_source_*`, dimension `source`).
///
/// Whatever metrics backend the process bootstraps (Prometheus in the HTTP API) exports them;
/// without one they cost a no-op call.
struct SourceMetrics {
    let source: String
    let messages: Counter
    let reads: Counter
    let lastMessage: Gauge
    private let rejectedByReason: [RejectReason: Counter]

    init(source: String) {
        self.source = source
        let dimensions = [("source", source)]
        messages = Counter(label: "sortgate_source_messages_total", dimensions: dimensions)
        reads = Counter(label: "sortgate_source_reads_total", dimensions: dimensions)
        lastMessage = Gauge(label: "sortgate_source_last_message_timestamp_seconds", dimensions: dimensions)
        var rejected: [RejectReason: Counter] = [:]
        for reason in RejectReason.allCases {
            rejected[reason] = Counter(
                label: "sortgate_source_rejected_total",
                dimensions: dimensions + [("reason", reason.rawValue)]
            )
        }
        rejectedByReason = rejected
    }

    func rejected(_ reason: RejectReason) -> Counter { rejectedByReason[reason]! }
}
