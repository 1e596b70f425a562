import Testing

@testable import SortgateCore

/// Every run checks the same scenarios: the ranges are mapped the way they always were.
extension SplitMix64 {
    mutating func int(_ range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

@Suite("Cold chain against brute force")
struct ColdChainPropertyTests {
    func t(_ minutes: Int64) -> EventTime { coldChainTime(minutes) }

    /// Random readings every 1–6 minutes, about half above 8 °C; each stands for at most
    /// `hold` minutes. The exposure is computed minute by minute from its definition and the
    /// alert instants found by scanning: since every breakpoint is a whole minute and the
    /// exposure is linear in between, the scan is exact.
    @Test(
        "Cumulative alerts are raised and cleared exactly where a minute-by-minute scan finds them",
        arguments: 0..<60
    )
    func cumulativeMatchesScan(seed: Int) throws {
        var random = SplitMix64(seed: UInt64(seed))
        let window: Int64 = 30
        let allowed: Int64 = 7
        let hold: Int64 = 4
        var readings: [(minute: Int64, celsius: Double)] = []
        var minute: Int64 = 0
        for _ in 0..<80 {
            minute += random.int(1...6)
            readings.append((minute, random.int(0...1) == 1 ? 9 : 5))
        }
        let end = minute + 2 * window
        // Exposure intervals, merged into runs when contiguous.
        var runs: [(start: Int64, end: Int64)] = []
        for (index, reading) in readings.enumerated() where reading.celsius > 8 {
            let next = index + 1 < readings.count ? readings[index + 1].minute : Int64.max
            let intervalEnd = min(next, reading.minute + hold)
            if let last = runs.last, last.end == reading.minute {
                runs[runs.count - 1].end = intervalEnd
            } else {
                runs.append((reading.minute, intervalEnd))
            }
        }
        func exposure(_ time: Int64) -> Int64 {
            runs.reduce(0) { $0 + max(0, min($1.end, time) - max($1.start, time - window)) }
        }
        var expected: [(AlertTransition, Int64, Int64)] = []  // transition, at, startedAt
        var activeSince: Int64?
        var time: Int64 = 0
        while time <= end {
            if let started = activeSince {
                if exposure(time) == allowed && exposure(time + 1) < allowed {
                    expected.append((.cleared, time, started))
                    activeSince = nil
                    time += 1
                    continue
                }
            } else if exposure(time) >= allowed {
                let started = runs.first { $0.end > time - window }!.start
                expected.append((.raised, time, started))
                activeSince = started
                continue  // it may clear at this very instant
            }
            time += 1
        }

        let limits = try TemperatureLimits(
            min: 2,
            max: 8,
            alarmDelay: .seconds(86_400),
            cumulative: try CumulativeLimit(limit: 8, window: .seconds(window * 60), allowed: .seconds(allowed * 60)),
            offlineAfter: .seconds(hold * 60)
        )
        var detector = ExcursionDetector()
        let room = ColdChainSubject.zone(ZoneID(0))
        detector.monitor(room, limits: limits)
        var alerts: [AlertEvent] = []
        for reading in readings {
            detector.observe(room, at: t(reading.minute), celsius: reading.celsius, into: &alerts)
        }
        detector.advance(to: t(end), into: &alerts)
        let actual = alerts.filter { $0.kind == .cumulative && $0.transition != .updated }
        #expect(actual.map(\.transition) == expected.map(\.0))
        #expect(actual.map(\.at) == expected.map { t($0.1) })
        #expect(actual.map(\.startedAt) == expected.map { t($0.2) })
    }

    @Test("Time-weighted rolling MKT equals the weighted formula over the clipped window", arguments: 0..<20)
    func rollingMKTMatchesFormula(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed) &+ 1000)
        let window: Int64 = 120
        let hold: Int64 = 15
        var rolling = MeanKineticTemperature(
            window: .seconds(window * 60),
            weighting: .timeWeighted(maximumHold: .seconds(hold * 60))
        )
        var readings: [(minute: Int64, celsius: Double)] = []
        var minute: Int64 = 0
        for _ in 0..<400 {
            minute += random.int(0...20)
            let celsius = Double(random.int(-50...250)) / 10
            readings.append((minute, celsius))
            rolling.add(celsius, at: t(minute))
            if random.int(0...9) == 0 {
                let now = minute + random.int(0...30)
                rolling.advance(to: t(now))
                let start = now - window
                var weighted: [(celsius: Double, weight: Double)] = []
                for (index, reading) in readings.enumerated() {
                    let next = index + 1 < readings.count ? readings[index + 1].minute : Int64.max
                    let from = max(reading.minute, start)
                    let to = min(next, reading.minute + hold, now)
                    if to > from { weighted.append((reading.celsius, Double(to - from))) }
                }
                let expected = MeanKineticTemperature.celsius(ofWeighted: weighted)
                #expect((rolling.celsius == nil) == (expected == nil))
                if let expected, let actual = rolling.celsius { #expect(abs(actual - expected) < 1e-6) }
                minute = now
            }
        }
    }
}
