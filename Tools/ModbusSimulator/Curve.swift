/// A value over the time since the simulator started, in the register's own unit (°C for a Celsius
/// sensor, °F for a Fahrenheit one, %RH for humidity): the shapes cold-chain tests need.
indirect enum Curve: Sendable, Hashable {
    /// Always `value`.
    case steady(Double)
    /// `from` at start, changing by `perMinute` every minute (a failing compressor, a door left open).
    case drift(from: Double, perMinute: Double)
    /// `base`, except for a triangle of `duration` starting at `at` that peaks at `peak` halfway: a
    /// door opened briefly, shorter than any alarm delay.
    case spike(base: Double, peak: Double, at: Duration, duration: Duration)
    /// `base`, except `high` from `start` for `duration`: a confirmed excursion, longer than the
    /// alarm delay.
    case excursion(base: Double, high: Double, start: Duration, duration: Duration)
    /// `curve` until `at`, then frozen at the value it had then: a sensor stuck on its last reading.
    case stuck(at: Duration, curve: Curve)

    func value(at time: Duration) -> Double {
        switch self {
        case .steady(let value):
            return value
        case .drift(let from, let perMinute):
            return from + perMinute * Self.seconds(time) / 60
        case .spike(let base, let peak, let at, let duration):
            let into = Self.seconds(time - at)
            let length = Self.seconds(duration)
            guard into >= 0, into < length, length > 0 else {
                return base
            }
            let half = length / 2
            let fraction = into <= half ? into / half : (length - into) / half
            return base + (peak - base) * fraction
        case .excursion(let base, let high, let start, let duration):
            return time >= start && time < start + duration ? high : base
        case .stuck(let at, let curve):
            return curve.value(at: min(time, at))
        }
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
