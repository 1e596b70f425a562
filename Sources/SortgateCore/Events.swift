/// One raw observation of one tag by one antenna of one reader, decoded from a device message.
///
/// A compact value (no references): the pipeline copies millions of these a second.
public struct TagRead: Hashable, Sendable {
    /// The device that produced the read.
    public var source: SourceID
    /// The per-source sequence number of the message the read came from (1, 2, 3, …).
    public var seq: UInt64
    /// Event time: the reader's timestamp, or the message's arrival time when it has none.
    public var time: EventTime
    public var epc: EPC
    /// The reader's antenna port (1-based as vendors number them; 0 when not reported).
    public var antenna: UInt16
    /// Peak RSSI in centi-dBm (−5750 = −57.50 dBm), when reported.
    public var rssiCentiDbm: Int32?
    /// How many tag reads this event stands for (Zebra's `reads`, else 1).
    public var readCount: UInt32
    /// The vendor's own event counter (Zebra `eventNum`), used to spot redeliveries.
    public var vendorEventNumber: UInt64?

    @inlinable
    public init(
        source: SourceID,
        seq: UInt64,
        time: EventTime,
        epc: EPC,
        antenna: UInt16,
        rssiCentiDbm: Int32? = nil,
        readCount: UInt32 = 1,
        vendorEventNumber: UInt64? = nil
    ) {
        self.source = source
        self.seq = seq
        self.time = time
        self.epc = epc
        self.antenna = antenna
        self.rssiCentiDbm = rssiCentiDbm
        self.readCount = readCount
        self.vendorEventNumber = vendorEventNumber
    }
}

/// One temperature sample of one sensor.
public struct SensorReading: Hashable, Sendable {
    public var source: SourceID
    public var seq: UInt64
    public var time: EventTime
    /// Degrees Celsius, after the profile's scale, offset and unit conversion.
    public var celsius: Double

    @inlinable
    public init(source: SourceID, seq: UInt64, time: EventTime, celsius: Double) {
        self.source = source
        self.seq = seq
        self.time = time
        self.celsius = celsius
    }
}

/// What a driver puts into the pipeline.
public enum DeviceEvent: Hashable, Sendable {
    case tag(TagRead)
    case reading(SensorReading)

    @inlinable
    public var time: EventTime {
        switch self {
        case .tag(let read): read.time
        case .reading(let reading): reading.time
        }
    }

    @inlinable
    public var source: SourceID {
        switch self {
        case .tag(let read): read.source
        case .reading(let reading): reading.source
        }
    }
}
