/// The kinds of cold-chain alerts; the raw values are the `alerts.kind` strings of DESIGN.md.
public enum AlertKind: String, Hashable, Sendable, CaseIterable {
    /// A confirmed period above the class range.
    case excursionHigh = "excursion-high"
    /// A confirmed period below the class range.
    case excursionLow = "excursion-low"
    /// Too much time beyond a cumulative limit within its rolling window.
    case cumulative
    /// No reading for the class's `offlineAfter`.
    case sensorOffline = "sensor-offline"
}

/// A step in an alert's life as the detectors see it. Acknowledgement is an operator's act and
/// happens in the alert store, not here.
public enum AlertTransition: String, Hashable, Sendable, CaseIterable {
    /// The alert is confirmed: its condition lasted long enough.
    case raised
    /// An active alert reached a new peak temperature.
    case updated
    /// The condition ended.
    case cleared
}

/// The identity of one alert: its kind, its subject and when its condition started.
///
/// Nothing else goes into it (no counter, no wall-clock time), so replaying the same readings
/// gives the same ids, and a re-sent alert carries the id its receiver has already seen.
/// `fingerprint` condenses the identity into 64 bits with FNV-1a over a fixed byte encoding
/// (never Swift's per-process seeded `Hasher`): the kind's raw value in UTF-8, a zero byte, a
/// subject tag (1 sensor, 2 zone, 3 container), the subject (a sensor or zone id as 2 bytes; a
/// container as its bit count in 2 bytes then its four 64-bit words), then `startedAt` in
/// nanoseconds as 8 bytes, every integer big-endian.
public struct AlertID: Hashable, Sendable, CustomStringConvertible {
    public let kind: AlertKind
    public let subject: ColdChainSubject
    /// When the condition started: the first reading outside the range (excursions), the first
    /// exposed reading counted in the window (cumulative), or the last reading (offline).
    public let startedAt: EventTime

    public init(kind: AlertKind, subject: ColdChainSubject, startedAt: EventTime) {
        self.kind = kind
        self.subject = subject
        self.startedAt = startedAt
    }

    /// A stable 64-bit digest of the identity (see the type's documentation for the encoding).
    public var fingerprint: UInt64 {
        var hash = FNV1a64()
        for byte in kind.rawValue.utf8 { hash.add(byte) }
        hash.add(0)
        switch subject {
        case .sensor(let source):
            hash.add(1)
            hash.addBigEndian(UInt64(source.rawValue), bytes: 2)
        case .zone(let zone):
            hash.add(2)
            hash.addBigEndian(UInt64(zone.rawValue), bytes: 2)
        case .container(let epc):
            hash.add(3)
            hash.addBigEndian(UInt64(epc.bitCount), bytes: 2)
            for word in [epc.w0, epc.w1, epc.w2, epc.w3] { hash.addBigEndian(word, bytes: 8) }
        }
        hash.addBigEndian(UInt64(bitPattern: startedAt.nanoseconds), bytes: 8)
        return hash.value
    }

    /// `fingerprint` as 16 lower-case hex digits, e.g. for a text primary key.
    public var fingerprintHex: String {
        let digits = String(fingerprint, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    public var description: String { "\(kind.rawValue) \(subject) since \(startedAt)" }
}

/// The 64-bit FNV-1a hash: tiny, unseeded and specified byte by byte, so its values can be
/// stored and recomputed by any other tool.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
    }

    mutating func addBigEndian(_ integer: UInt64, bytes: Int) {
        for index in stride(from: bytes - 1, through: 0, by: -1) {
            add(UInt8(truncatingIfNeeded: integer >> UInt64(index * 8)))
        }
    }
}

/// One transition of one cold-chain alert, as the detectors append it to their output.
///
/// The fields mirror the `alerts` table: `confirmedAt` is when the alert was raised (for an
/// excursion exactly `startedAt + alarmDelay`), `clearedAt` is set on `cleared`, and
/// `peakCelsius` is the most extreme reading so far (the highest for a high excursion or a
/// cumulative `.above` limit, the lowest for a low one; nil for `sensor-offline`). `at` is when
/// this transition happened: `confirmedAt` for `raised`, the reading's time for `updated`,
/// `clearedAt` for `cleared`.
public struct AlertEvent: Hashable, Sendable, CustomStringConvertible {
    public var transition: AlertTransition
    public var id: AlertID
    public var at: EventTime
    public var confirmedAt: EventTime
    public var clearedAt: EventTime?
    public var peakCelsius: Double?

    public init(
        transition: AlertTransition,
        id: AlertID,
        at: EventTime,
        confirmedAt: EventTime,
        clearedAt: EventTime? = nil,
        peakCelsius: Double?
    ) {
        self.transition = transition
        self.id = id
        self.at = at
        self.confirmedAt = confirmedAt
        self.clearedAt = clearedAt
        self.peakCelsius = peakCelsius
    }

    public var kind: AlertKind { id.kind }
    public var subject: ColdChainSubject { id.subject }
    public var startedAt: EventTime { id.startedAt }

    /// How long the condition lasted (`clearedAt − startedAt`), once cleared.
    public var duration: Duration? { clearedAt.map { $0 - id.startedAt } }

    public var description: String {
        var text = "\(transition.rawValue) \(id) at \(at)"
        if let peakCelsius { text += ", peak \(peakCelsius) °C" }
        return text
    }
}
