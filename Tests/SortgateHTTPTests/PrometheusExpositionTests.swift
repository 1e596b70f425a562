import Prometheus
import SortgateTestSupport
import Testing

@Suite("Prometheus exposition parser")
struct PrometheusExpositionTests {
    @Test("What swift-prometheus renders parses, with its values, labels and histogram buckets")
    func parsesRegistryOutput() throws {
        let registry = PrometheusCollectorRegistry()
        registry.makeCounter(name: "a_total", labels: [("source", "dock \"1\"")], help: "A.").increment(by: Int64(3))
        registry.makeGauge(name: "b_slots", labels: [], help: "B.").set(7.5)
        let histogram = registry.makeDurationHistogram(name: "c_seconds", buckets: [.milliseconds(10), .seconds(1)])
        histogram.record(.milliseconds(5))
        histogram.record(.milliseconds(500))
        histogram.record(.seconds(3))
        let parsed = try PrometheusExposition(parsing: registry.emitToString())
        #expect(parsed.types == ["a_total": "counter", "b_slots": "gauge", "c_seconds": "histogram"])
        #expect(parsed.value("a_total", ["source": "dock \"1\""]) == 3)
        #expect(parsed.value("b_slots") == 7.5)
        #expect(parsed.value("c_seconds_bucket", ["le": "0.01"]) == 1)
        #expect(parsed.value("c_seconds_bucket", ["le": "1.0"]) == 2)
        #expect(parsed.value("c_seconds_bucket", ["le": "+Inf"]) == 3)
        #expect(parsed.value("c_seconds_count") == 3)
    }

    @Test("Malformed lines are refused with their line number")
    func refusesMalformed() {
        for text in [
            "9bad 1", "a{b=\"1\" 2", "a{b=1} 2", "a notanumber", "a 1\na 2", "a{b=\"x\\q\"} 1",
            "# TYPE a counter\n# TYPE a gauge\na 1",
            "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_count 1\nh_sum 1",
        ] {
            #expect(throws: PrometheusExposition.ParseError.self, "\(text)") { try PrometheusExposition(parsing: text) }
        }
    }
}
