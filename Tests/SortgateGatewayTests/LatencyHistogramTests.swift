import Testing

import SortgateConfig
@testable import SortgateGateway

@Suite("LatencyHistogram")
struct LatencyHistogramTests {
    @Test("percentiles are within one bucket (1 %) above the true value, and never above the maximum")
    func percentiles() {
        var histogram = LatencyHistogram()
        for value in 1...1000 { histogram.record(microseconds: Int64(value) * 100) }
        #expect(histogram.count == 1000)
        #expect(histogram.maximum == 100_000)
        let p50 = histogram.percentile(0.5)
        let p99 = histogram.percentile(0.99)
        #expect(p50 >= 50_000 && p50 <= 53_125, "p50 \(p50)")
        #expect(p99 >= 99_000 && p99 <= 100_000, "p99 \(p99)")
        #expect(histogram.percentile(1) == 100_000)
    }

    @Test("small values are exact, negative ones count as 0, an empty histogram answers 0; merge adds")
    func edges() {
        var histogram = LatencyHistogram()
        #expect(histogram.percentile(0.99) == 0)
        histogram.record(microseconds: -5)
        histogram.record(microseconds: 3)
        histogram.record(microseconds: 15)
        #expect(histogram.percentile(0.34) == 3)
        #expect(histogram.percentile(0.2) == 0)
        #expect(histogram.percentile(1) == 15)
        var other = LatencyHistogram()
        other.record(microseconds: 1_000_000)
        histogram.merge(other)
        #expect(histogram.count == 4)
        #expect(histogram.maximum == 1_000_000)
        #expect(histogram.percentile(1) == 1_000_000)
    }
}
