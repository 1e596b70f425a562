import Prometheus
import Synchronization

/// Puts a `GatewaySnapshot` (and the HTTP server's own counters) into a Prometheus registry just
/// before it is rendered, so `/metrics` shows the very numbers of the status line and of
/// `/api/sources` without any work in the pipeline's hot path.
///
/// Totals become counters (`_total`), raised by what was added since the last scrape; levels
/// become gauges. The instruments the gateway records itself through swift-metrics
/// (`sortgate_source_messages_total`, `sortgate_broker_connected`, the latency histograms, …)
/// land in the same registry through `PrometheusMetricsFactory`.
final class GatewayMetricsExporter: Sendable {
    private let registry: PrometheusCollectorRegistry
    private struct State {
        var counters: [String: (counter: Counter, reported: UInt64)] = [:]
        var gauges: [String: Gauge] = [:]
    }
    private let state = Mutex(State())

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    /// Brings every exported value up to date.
    func update(snapshot: GatewaySnapshot?, outboxDepth: [String: Int], routes: [String], feed: LiveFeed) {
        state.withLock { state in
            func total(_ name: String, _ labels: [(String, String)] = [], _ help: String, _ value: UInt64) {
                let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
                let entry =
                    state.counters[key]
                    ?? (registry.makeCounter(name: name, labels: labels, help: help), 0)
                if value > entry.reported { entry.counter.increment(by: Int64(value - entry.reported)) }
                state.counters[key] = (entry.counter, max(value, entry.reported))
            }
            func level(_ name: String, _ labels: [(String, String)] = [], _ help: String, _ value: Double) {
                let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
                let gauge = state.gauges[key] ?? registry.makeGauge(name: name, labels: labels, help: help)
                state.gauges[key] = gauge
                gauge.set(value)
            }

            level("sortgate_http_stream_clients", [], "Clients connected to /api/stream.", Double(feed.clientCount))
            total(
                "sortgate_http_stream_dropped_clients_total", [],
                "Stream clients disconnected because they fell behind.", feed.droppedClients
            )
            for route in routes {
                level(
                    "sortgate_alert_outbox_depth", [("route", route)],
                    "Alert notifications waiting for delivery, per route.", Double(outboxDepth[route] ?? 0)
                )
            }
            guard let snapshot else { return }

            let totals = snapshot.totals
            total("sortgate_messages_total", [], "Messages handed to the pipeline, all devices.", totals.messages)
            total("sortgate_rejected_total", [], "Messages and events rejected, all devices.", totals.rejected)
            total("sortgate_tag_reads_total", [], "Tag events processed, all devices.", totals.reads)
            total("sortgate_redelivered_total", [], "Redeliveries recognised and not counted twice.", totals.redelivered)
            for (kind, value) in [
                ("arrival", totals.arrivals), ("move", totals.moves), ("departure", totals.departures),
                ("reading", totals.sensorReadings),
            ] {
                total("sortgate_facts_derived_total", [("kind", kind)], "Facts the pipeline derived, by kind.", value)
            }
            for kind in ["arrival", "move", "departure", "reading", "alert"] {
                total(
                    "sortgate_facts_written_total", [("kind", kind)],
                    "Facts committed to the database, by kind.", snapshot.committedFacts[kind] ?? 0
                )
            }
            level("sortgate_inventory_present", [], "EPCs present now.", Double(totals.present))
            level("sortgate_ring_depth_slots", [], "Slots of the event ring in use.", Double(snapshot.ringDepthSlots))
            level(
                "sortgate_ring_high_water_slots", [], "Most slots of the event ring in use since start.",
                Double(snapshot.ringHighWaterSlots)
            )
            level("sortgate_ring_slots", [], "Slots of the event ring.", Double(snapshot.ringSlots))
            for source in snapshot.sources {
                let labels = [("source", source.device)]
                total(
                    "sortgate_source_dropped_total", labels,
                    "Messages of a device the full ring dropped (on_full: drop-oldest).", source.dropped
                )
                level(
                    "sortgate_source_connected", labels,
                    "1 when the device's broker is connected or its last poll was answered.",
                    source.connected ? 1 : 0
                )
                guard let modbus = source.modbus else { continue }
                total("sortgate_modbus_polls_total", labels, "Modbus polls of a device.", modbus.polls)
                total("sortgate_modbus_failed_polls_total", labels, "Modbus polls with a failed request.", modbus.failedPolls)
                total(
                    "sortgate_modbus_late_polls_total", labels,
                    "Modbus polls that started more than one period late.", modbus.latePolls
                )
                for (kind, count) in modbus.failures {
                    total(
                        "sortgate_modbus_request_failures_total", labels + [("kind", kind)],
                        "Failed Modbus requests by kind.", count
                    )
                }
            }
        }
    }
}
