/// The alarm rules of one temperature class (chilled 2–8 °C, frozen ≤ −18 °C, …), as the
/// `ExcursionDetector` applies them to one subject.
///
/// - `min` / `max`: the allowed range in °C, bounds included (a reading equal to a bound is
///   inside). At least one is set; a frozen class has only `max`.
/// - `alarmDelay`: an excursion is confirmed only once it has lasted this long, so a door opened
///   for two minutes pages nobody. The default, 5 minutes, is the site config's default.
/// - `clearHysteresis`: a confirmed excursion clears only at the first reading back inside the
///   range by this margin (≤ `max − h` for a high one, ≥ `min + h` for a low one), so a sensor
///   hovering at the limit does not raise and clear over and over. Default 0.5 °C.
/// - `cumulative`: an optional limit on the total time spent beyond a temperature within a
///   rolling window (see `CumulativeLimit`).
/// - `offlineAfter`: when set, a subject with no reading for this long raises `sensor-offline`,
///   and no reading is trusted to stand for the temperature for longer than this.
///
/// The initializer validates the values and throws a `TemperatureLimitsError` naming what is
/// wrong, so the config layer can report it at the right line; a value of this type is always
/// consistent.
public struct TemperatureLimits: Hashable, Sendable {
    public let min: Double?
    public let max: Double?
    public let alarmDelay: Duration
    public let clearHysteresis: Double
    public let cumulative: CumulativeLimit?
    public let offlineAfter: Duration?

    public init(
        min: Double? = nil,
        max: Double? = nil,
        alarmDelay: Duration = .seconds(300),
        clearHysteresis: Double = 0.5,
        cumulative: CumulativeLimit? = nil,
        offlineAfter: Duration? = nil
    ) throws(TemperatureLimitsError) {
        if min == nil && max == nil { throw .noBound }
        if let min, !min.isFinite { throw .notFinite("min") }
        if let max, !max.isFinite { throw .notFinite("max") }
        if let min, let max, min > max { throw .minAboveMax(min: min, max: max) }
        if alarmDelay < .zero { throw .negativeDuration("alarm_delay") }
        if !clearHysteresis.isFinite { throw .notFinite("clear_hysteresis") }
        if clearHysteresis < 0 { throw .negativeHysteresis(clearHysteresis) }
        if let offlineAfter, offlineAfter <= .zero { throw .nonPositiveDuration("offline_after") }
        self.min = min
        self.max = max
        self.alarmDelay = alarmDelay
        self.clearHysteresis = clearHysteresis
        self.cumulative = cumulative
        self.offlineAfter = offlineAfter
    }

    /// Whether `celsius` is above the range (strictly: `max` itself is inside).
    @inlinable
    public func isAbove(_ celsius: Double) -> Bool {
        guard let max else { return false }
        return celsius > max
    }

    /// Whether `celsius` is below the range (strictly: `min` itself is inside).
    @inlinable
    public func isBelow(_ celsius: Double) -> Bool {
        guard let min else { return false }
        return celsius < min
    }

    /// Whether `celsius` is outside the range on either side.
    @inlinable
    public func isOutside(_ celsius: Double) -> Bool {
        isAbove(celsius) || isBelow(celsius)
    }
}

/// A limit on the total time spent beyond a temperature within a rolling window, in the style
/// of the cumulative-exposure alarms of WHO TRS 961, annex 9 (storage and transport of time- and
/// temperature-sensitive pharmaceutical products) and its technical supplements on temperature
/// monitoring systems: e.g. at most 10 hours above +8 °C within any 30 days. A cumulative limit
/// catches what the excursion rules cannot: many short excursions, each under the alarm delay.
///
/// Each reading is taken to stand for the temperature from its time until the next reading
/// (never longer than the limits' `offlineAfter`), so the exposure is the length of the time
/// covered by readings beyond `limit` (strictly: above it for `.above`, below it for `.below`).
/// The alert is raised at the exact instant the exposure inside the window `(t − window, t]`
/// reaches `allowed`, and cleared at the instant it falls back below `allowed` as old exposure
/// leaves the window.
public struct CumulativeLimit: Hashable, Sendable {
    /// Which side of `limit` counts as exposure.
    public enum Side: String, Hashable, Sendable, CaseIterable {
        /// Time above the limit counts (heat exposure of a chilled product).
        case above
        /// Time below the limit counts (freeze exposure of a vaccine).
        case below
    }

    /// The temperature in °C beyond which time counts.
    public let limit: Double
    public let side: Side
    /// The rolling window the exposure is summed over.
    public let window: Duration
    /// The exposure allowed within the window; reaching it raises a `cumulative` alert.
    public let allowed: Duration

    public init(limit: Double, side: Side = .above, window: Duration, allowed: Duration) throws(TemperatureLimitsError)
    {
        if !limit.isFinite { throw .notFinite("cumulative limit") }
        if window <= .zero { throw .nonPositiveDuration("cumulative window") }
        if allowed <= .zero { throw .nonPositiveDuration("cumulative allowed") }
        if allowed >= window { throw .allowedNotShorterThanWindow(allowed: allowed, window: window) }
        self.limit = limit
        self.side = side
        self.window = window
        self.allowed = allowed
    }

    /// Whether a reading of `celsius` counts as exposure.
    @inlinable
    public func isExposed(_ celsius: Double) -> Bool {
        switch side {
        case .above: celsius > limit
        case .below: celsius < limit
        }
    }
}

/// Why a set of temperature limits was refused; the description says what to change.
public enum TemperatureLimitsError: Error, Hashable, Sendable, CustomStringConvertible {
    case noBound
    case notFinite(String)
    case minAboveMax(min: Double, max: Double)
    case negativeHysteresis(Double)
    case negativeDuration(String)
    case nonPositiveDuration(String)
    case allowedNotShorterThanWindow(allowed: Duration, window: Duration)

    public var description: String {
        switch self {
        case .noBound:
            "a temperature class needs at least one of 'min' and 'max'"
        case .notFinite(let field):
            "'\(field)' must be a finite number"
        case .minAboveMax(let min, let max):
            "'min' (\(min)) is above 'max' (\(max)); swap them"
        case .negativeHysteresis(let value):
            "'clear_hysteresis' (\(value)) must be zero or positive"
        case .negativeDuration(let field):
            "'\(field)' must be zero or positive"
        case .nonPositiveDuration(let field):
            "'\(field)' must be positive"
        case .allowedNotShorterThanWindow(let allowed, let window):
            "cumulative 'allowed' (\(allowed)) must be shorter than its 'window' (\(window))"
        }
    }
}
