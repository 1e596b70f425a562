/// How an MQTT device's message bytes become tag reads, as named by its device profile's `payload`.
public enum PayloadFormat: Hashable, Sendable {
    /// Impinj IoT Device Interface (R700/R720): `tagInventoryEvent`, optionally batched in `{"events":[…]}`.
    case impinjIoT
    /// Zebra IoT Connector data interface (FX7500/FX9600/ATR7000): `SIMPLE`/`CUSTOM` events, or arrays of them.
    case zebraIoT
    /// Any other JSON reader, through a mapping of JSON pointers.
    case json(JSONFieldMapping)
}

/// A generic mapping of JSON pointers (RFC 6901, e.g. `/tag/epc`) to the fields of a tag read.
///
/// Pointers are relative to one event object. When `events` is set, it points at an array of
/// event objects in the message; otherwise the message is one event object, or a top-level
/// array of them.
public struct JSONFieldMapping: Hashable, Sendable {
    /// How the EPC string is encoded.
    public enum EPCEncoding: String, Hashable, Sendable {
        case hex
        case base64
    }

    /// The unit of the RSSI value.
    public enum RSSIUnit: String, Hashable, Sendable {
        case dBm = "dbm"
        case centiDbm = "cdbm"
    }

    /// The unit of a numeric timestamp.
    public enum TimeUnit: String, Hashable, Sendable {
        case seconds = "s"
        case milliseconds = "ms"
        case microseconds = "us"
        case nanoseconds = "ns"
    }

    /// Pointer to an array of events inside the message, if the message batches them.
    public var events: String?
    /// Pointer to the EPC (required).
    public var epc: String
    public var epcEncoding: EPCEncoding
    /// Pointer to the antenna port number.
    public var antenna: String?
    /// Pointer to the RSSI value.
    public var rssi: String?
    public var rssiUnit: RSSIUnit
    /// Pointer to an RFC 3339 timestamp (string), or to a number of `timeUnit`s since the epoch.
    public var time: String?
    /// The unit of a numeric `time`, counted from 1970-01-01T00:00:00Z; milliseconds by default,
    /// the unit most JSON-speaking readers use.
    public var timeUnit: TimeUnit
    /// Pointer to a read count (defaults to 1 per event).
    public var reads: String?
    /// Pointer to the vendor's increasing event number.
    public var eventNumber: String?

    public init(
        events: String? = nil,
        epc: String,
        epcEncoding: EPCEncoding = .hex,
        antenna: String? = nil,
        rssi: String? = nil,
        rssiUnit: RSSIUnit = .dBm,
        time: String? = nil,
        timeUnit: TimeUnit = .milliseconds,
        reads: String? = nil,
        eventNumber: String? = nil
    ) {
        self.events = events
        self.epc = epc
        self.epcEncoding = epcEncoding
        self.antenna = antenna
        self.rssi = rssi
        self.rssiUnit = rssiUnit
        self.time = time
        self.timeUnit = timeUnit
        self.reads = reads
        self.eventNumber = eventNumber
    }
}
