import Metrics
public import Prometheus

extension Gateway {
    /// Makes Prometheus the swift-metrics backend of this process (once, before anything records),
    /// writing into the registry that the HTTP API's `/metrics` renders. `sortgate run` and
    /// `sortgate serve` call it, and so does the HTTP load benchmark, so that its `/metrics` renders
    /// what an operator's does.
    ///
    /// Histogram buckets span what the gateway times: a Modbus poll or a SQLite commit (well under a
    /// millisecond to tens of milliseconds) up to arrival → committed under load (hundreds of
    /// milliseconds), and seconds for what is broken.
    public static func bootstrapMetrics() -> PrometheusCollectorRegistry {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5),
            .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
            .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }
}
