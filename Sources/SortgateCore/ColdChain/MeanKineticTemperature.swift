import DequeModule

/// Mean kinetic temperature over a rolling window of one subject's readings (USP <1160>).
///
/// MKT is the single constant temperature that would degrade a product as much as the varying
/// temperatures it went through, under Arrhenius kinetics:
///
///     MKT = (ΔH/R) / −ln( Σ wᵢ·e^(−ΔH/(R·Tᵢ)) / Σ wᵢ ) − 273.15     (Tᵢ in kelvin)
///
/// with ΔH/R = 10 000 K, the value USP <1160> prescribes when the product's own activation
/// energy is not known (ΔH = 83.144 kJ/mol). USP applies it to equally spaced samples, all
/// weights 1 (`.perSample`). Sensors do not report at equal intervals (a Modbus poll is skipped,
/// an MQTT sensor reports on change), and per-sample weights then over-weight whatever period
/// was sampled densely, so `.timeWeighted` weights each reading by the time it stands for: from
/// its time to the next reading, at most `maximumHold` (a longer gap is unknown, not counted),
/// and for the newest reading up to the clock. With equally spaced readings both agree.
///
/// The window is `(clock − window, clock]`: per sample, a reading at or before the window's
/// start is out; time-weighted, only the part of a reading's time inside the window counts.
/// Samples are kept in a `Deque`, evicted from the front as the clock moves (O(1) amortised),
/// and the weighted sums are kept incrementally; they are recomputed from the samples after as
/// many evictions as there are samples, which keeps floating-point drift bounded at O(1)
/// amortised cost. Memory is one 24-byte sample per reading in the window: one subject read
/// every minute over 30 days holds 43 200 samples, about 1 MB. The exponential and logarithm
/// are `RealFunctions`, accurate to a few ulps.
public struct MeanKineticTemperature: Sendable {
    /// How readings are weighted.
    public enum Weighting: Hashable, Sendable {
        /// Every reading in the window weighs the same, as USP <1160> writes the formula.
        case perSample
        /// Every reading weighs the time it stands for, at most `maximumHold` (nil: up to the
        /// next reading however far).
        case timeWeighted(maximumHold: Duration?)
    }

    /// ΔH/R in kelvin (USP <1160>).
    public static let activationEnergyOverGasConstant = 10_000.0
    /// 0 °C in kelvin.
    public static let kelvinAtZeroCelsius = 273.15

    struct Sample: Sendable {
        var time: Int64
        /// e^(−ΔH/(R·T)).
        var term: Double
        /// When the reading stops standing for the temperature (time-weighted); tentative for
        /// the newest sample until the next reading.
        var end: Int64
    }

    public let window: Duration
    public let weighting: Weighting
    private let windowNanoseconds: Int64
    private var samples: Deque<Sample> = []
    /// Σ weight·term over the samples whose weight is settled: all of them per sample, all but
    /// the newest time-weighted (weights in nanoseconds).
    private var settledTermSum = 0.0
    /// Σ weight over the same samples (a count per sample, nanoseconds time-weighted).
    private var settledWeight: Int64 = 0
    private var evictionsSinceRecompute = 0
    /// The largest event time seen (readings or `advance(to:)`).
    public private(set) var clock: EventTime = .distantPast
    /// Readings refused: out of time order, not finite, or below absolute zero.
    public private(set) var rejectedCount = 0

    public init(window: Duration, weighting: Weighting) {
        self.window = window
        self.weighting = weighting
        self.windowNanoseconds = window.nanosecondsClamped
    }

    /// The mean kinetic temperature in °C of readings equally spaced in time (USP <1160>);
    /// nil when there are none.
    public static func celsius(ofEquallySpaced temperatures: some Sequence<Double>) -> Double? {
        var sum = 0.0
        var count = 0
        for celsius in temperatures {
            sum += arrheniusTerm(celsius)
            count += 1
        }
        return count == 0 ? nil : celsius(fromMeanTerm: sum / Double(count))
    }

    /// The mean kinetic temperature in °C of temperatures held for the given weights (hours,
    /// seconds: any unit, the same for all); nil when the weights sum to zero.
    public static func celsius(ofWeighted samples: [(celsius: Double, weight: Double)]) -> Double? {
        var sum = 0.0
        var weight = 0.0
        for sample in samples {
            sum += sample.weight * arrheniusTerm(sample.celsius)
            weight += sample.weight
        }
        return weight > 0 ? celsius(fromMeanTerm: sum / weight) : nil
    }

    static func arrheniusTerm(_ celsius: Double) -> Double {
        RealFunctions.exp(-activationEnergyOverGasConstant / (celsius + kelvinAtZeroCelsius))
    }

    static func celsius(fromMeanTerm mean: Double) -> Double {
        activationEnergyOverGasConstant / -RealFunctions.log(mean) - kelvinAtZeroCelsius
    }

    /// Number of readings in the window.
    public var sampleCount: Int { samples.count }

    /// The mean kinetic temperature in °C over the window ending at `clock`; nil when no reading
    /// is in it (time-weighted: when no time is covered yet, e.g. a single reading at `clock`).
    public var celsius: Double? {
        let weighted = weightedSums()
        guard weighted.weight > 0 else { return nil }
        return Self.celsius(fromMeanTerm: weighted.termSum / Double(weighted.weight))
    }

    /// How much of the window the readings stand for, the weight behind `celsius`
    /// (time-weighted; always zero per sample, where `sampleCount` is the weight).
    public var coveredDuration: Duration {
        switch weighting {
        case .perSample: .zero
        case .timeWeighted: .nanoseconds(weightedSums().weight)
        }
    }

    /// Adds a reading; returns false (and counts it) when it is older than the newest reading,
    /// not finite, or below absolute zero.
    @discardableResult
    public mutating func add(_ celsius: Double, at time: EventTime) -> Bool {
        let now = time.nanoseconds
        guard celsius.isFinite, celsius > -Self.kelvinAtZeroCelsius,
            samples.last.map({ $0.time <= now }) ?? true
        else {
            rejectedCount += 1
            return false
        }
        if time > clock { clock = time }
        let term = Self.arrheniusTerm(celsius)
        switch weighting {
        case .perSample:
            samples.append(Sample(time: now, term: term, end: now))
            settledTermSum += term
            settledWeight += 1
        case .timeWeighted(let maximumHold):
            if var newest = samples.popLast() {
                newest.end = Swift.min(newest.end, now)
                settledTermSum += Double(newest.end - newest.time) * newest.term
                settledWeight += newest.end - newest.time
                samples.append(newest)
            }
            let end = maximumHold.map { now.addingSaturated($0.nanosecondsClamped) } ?? .max
            samples.append(Sample(time: now, term: term, end: end))
        }
        evict()
        return true
    }

    /// The newest reading stops standing for the temperature at `time` (the subject left the
    /// monitored place, or its sensor went silent); the next reading starts afresh.
    public mutating func interrupt(at time: EventTime) {
        guard case .timeWeighted = weighting, var newest = samples.popLast() else { return }
        newest.end = Swift.min(newest.end, Swift.max(time.nanoseconds, newest.time))
        samples.append(newest)
    }

    /// Moves the clock forward to `time` (never backwards), evicting readings that left the
    /// window.
    public mutating func advance(to time: EventTime) {
        if time > clock { clock = time }
        evict()
    }

    // MARK: - Internals

    private var windowStart: Int64 { clock.nanoseconds.subtractingSaturated(windowNanoseconds) }

    private mutating func evict() {
        let start = windowStart
        switch weighting {
        case .perSample:
            while let front = samples.first, front.time <= start {
                samples.removeFirst()
                settledTermSum -= front.term
                settledWeight -= 1
                evictionsSinceRecompute += 1
            }
        case .timeWeighted:
            while let front = samples.first, front.end <= start {
                samples.removeFirst()
                // The newest sample's weight is not settled, so it was never added.
                if !samples.isEmpty {
                    settledTermSum -= Double(front.end - front.time) * front.term
                    settledWeight -= front.end - front.time
                }
                evictionsSinceRecompute += 1
            }
        }
        if evictionsSinceRecompute >= samples.count { recomputeSettledSums() }
    }

    private mutating func recomputeSettledSums() {
        evictionsSinceRecompute = 0
        settledTermSum = 0
        settledWeight = 0
        switch weighting {
        case .perSample:
            for sample in samples {
                settledTermSum += sample.term
                settledWeight += 1
            }
        case .timeWeighted:
            for sample in samples.dropLast() {
                settledTermSum += Double(sample.end - sample.time) * sample.term
                settledWeight += sample.end - sample.time
            }
        }
    }

    /// Σ weight·term and Σ weight over the window ending at `clock`.
    private func weightedSums() -> (termSum: Double, weight: Int64) {
        guard case .timeWeighted = weighting else { return (settledTermSum, settledWeight) }
        let start = windowStart
        var termSum = settledTermSum
        var weight = settledWeight
        // After eviction only the oldest settled sample can straddle the window's start.
        if samples.count >= 2, let front = samples.first, front.time < start {
            let outside = Swift.min(start, front.end) - front.time
            termSum -= Double(outside) * front.term
            weight -= outside
        }
        if let newest = samples.last {
            let from = Swift.max(newest.time, start)
            let to = Swift.min(newest.end, clock.nanoseconds)
            if to > from {
                termSum += Double(to - from) * newest.term
                weight += to - from
            }
        }
        return (termSum, weight)
    }
}
