import Foundation
public import SortgateCore
public import SortgateConfig
public import SortgateThreads

extension FullPolicy {
    /// The ring's policy for this config value.
    public var ringPolicy: EventRing.Policy {
        switch self {
        case .block: .block
        case .dropOldest: .dropOldest
        }
    }
}

/// The event ring's waiting part (`EventRingParker`) for the live gateway: the shared
/// `WakeSignal`, whose epoch is exactly the parker's. Parking and waking take its lock; the ring only
/// calls them when a thread actually has to wait (an empty ring for the consumer, a full one for a
/// `block` producer).
/// The conformance lives here because SortgateThreads (Glibc only) cannot know SortgateCore's
/// protocol, and SortgateCore (no OS calls) cannot know the signal.
extension WakeSignal: EventRingParker {
    public func park(observed: UInt64, timeout: Duration) {
        wait(whileEpochIs: observed, for: timeout)
    }

    public func unparkAll() {
        signal()
    }
}

extension EventRing {
    /// The ring of a live gateway: sized by the config's `ring` section, one source per device
    /// (its index in `devices`), waiting on `WakeSignal`s.
    public static func live(config: SiteConfig) -> EventRing {
        live(configuration: config.ring, sources: config.devices.count)
    }

    /// A live ring of any size (tests make small ones).
    public static func live(configuration: Configuration, sources: Int) -> EventRing {
        EventRing(
            configuration: configuration,
            sources: sources,
            consumerParker: WakeSignal(),
            producerParker: WakeSignal()
        )
    }

    /// Writes one Modbus poll into the ring as device `poll.source`, waiting for room (polls are
    /// few and small: they always use `block`). The consumer decodes its registers once.
    @discardableResult
    public func push(poll: ModbusPollResult) -> PushResult {
        let size = ModbusPollEncoding.size(of: poll.poll)
        return push(
            source: UInt16(poll.source.index),
            policy: .block,
            kind: .modbusPoll,
            arrival: poll.time,
            topic: UnsafeRawBufferPointer(start: nil, count: 0),
            bodyLength: size,
            originalLength: size
        ) { ModbusPollEncoding.encode(poll.poll, into: $0) }
    }
}

/// One poll of one Modbus device as the poller hands it over: the device (its id in the site
/// topology, and its name for logs and tests), the poll's start time, and the registers read or
/// the errno name of the failure.
public struct ModbusPollResult: Sendable, Hashable {
    public var source: SourceID
    public var device: String
    public var time: EventTime
    public var poll: CaptureRecord.ModbusPoll

    public init(source: SourceID, device: String, time: EventTime, poll: CaptureRecord.ModbusPoll) {
        self.source = source
        self.device = device
        self.time = time
        self.poll = poll
    }
}

extension RawMessage {
    /// The message in a ring slot, borrowed (valid while the ring's consumer closure runs). A
    /// Modbus poll is decoded into its record form (polls are few; that allocates).
    public init(_ message: borrowing EventRing.Message) {
        let source = SourceID(rawValue: message.source)
        switch message.kind {
        case .mqtt:
            self.init(source: source, arrival: message.arrival, topic: message.topic, body: .payload(message.body))
        case .truncated:
            self.init(
                source: source,
                arrival: message.arrival,
                topic: message.topic,
                body: .truncated(prefix: message.body, length: message.originalLength)
            )
        case .modbusPoll:
            let poll = ModbusPollEncoding.decode(message.body)
            self.init(source: source, arrival: message.arrival, topic: nil, body: poll.map { .modbus($0) } ?? .none)
        }
    }
}

/// How a Modbus poll is laid out in a ring slot: address (Int64), register count (Int32, −1 for
/// none), table and error name lengths (UInt16 each, 0xFFFF for no error), then the registers
/// (UInt16, native order), the table name and the error name.
enum ModbusPollEncoding {
    static let headerSize = 16

    static func size(of poll: CaptureRecord.ModbusPoll) -> Int {
        headerSize + (poll.registers?.count ?? 0) * 2 + poll.table.utf8.count + (poll.error?.utf8.count ?? 0)
    }

    static func encode(_ poll: CaptureRecord.ModbusPoll, into buffer: UnsafeMutableRawBufferPointer) {
        buffer.storeBytes(of: Int64(poll.address), as: Int64.self)
        buffer.storeBytes(of: Int32(poll.registers?.count ?? -1), toByteOffset: 8, as: Int32.self)
        buffer.storeBytes(of: UInt16(poll.table.utf8.count), toByteOffset: 12, as: UInt16.self)
        buffer.storeBytes(of: poll.error.map { UInt16($0.utf8.count) } ?? 0xFFFF, toByteOffset: 14, as: UInt16.self)
        var offset = headerSize
        for register in poll.registers ?? [] {
            buffer.storeBytes(of: register, toByteOffset: offset, as: UInt16.self)
            offset += 2
        }
        for byte in poll.table.utf8 {
            buffer[offset] = byte
            offset += 1
        }
        for byte in poll.error?.utf8 ?? "".utf8 {
            buffer[offset] = byte
            offset += 1
        }
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) -> CaptureRecord.ModbusPoll? {
        guard bytes.count >= headerSize else { return nil }
        let address = bytes.loadUnaligned(as: Int64.self)
        let registerCount = Int(bytes.loadUnaligned(fromByteOffset: 8, as: Int32.self))
        let tableLength = Int(bytes.loadUnaligned(fromByteOffset: 12, as: UInt16.self))
        let errorField = bytes.loadUnaligned(fromByteOffset: 14, as: UInt16.self)
        let errorLength = errorField == 0xFFFF ? 0 : Int(errorField)
        guard headerSize + max(registerCount, 0) * 2 + tableLength + errorLength == bytes.count else { return nil }
        var registers: [UInt16]?
        if registerCount >= 0 {
            registers = (0..<registerCount).map {
                bytes.loadUnaligned(fromByteOffset: headerSize + $0 * 2, as: UInt16.self)
            }
        }
        var offset = headerSize + max(registerCount, 0) * 2
        let table = String(decoding: bytes[offset..<offset + tableLength], as: UTF8.self)
        offset += tableLength
        let error = errorField == 0xFFFF ? nil : String(decoding: bytes[offset..<offset + errorLength], as: UTF8.self)
        return CaptureRecord.ModbusPoll(table: table, address: Int(address), registers: registers, error: error)
    }
}
