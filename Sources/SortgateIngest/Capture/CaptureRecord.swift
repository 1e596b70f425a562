import Foundation
public import SortgateCore
import SortgateConfig

/// One line of a capture file: one raw device message (or Modbus poll) as it arrived.
///
/// Capture files are JSON Lines in arrival order (DESIGN.md, "Capture files"):
/// `{"t":"…","source":"dock3-reader","topic":"readers/dock3/events","payload":"<message>"}`,
/// with `payload_b64` instead of `payload` for binary payloads, and for a Modbus poll
/// `{"t":"…","source":"coldroom-a-t1","modbus":{"table":"input","address":1,"registers":[42,65535]}}`
/// (a failed poll has `"error":"<errno name>"` instead of `registers`).
public struct CaptureRecord: Hashable, Sendable {
    /// A recorded Modbus poll.
    public struct ModbusPoll: Hashable, Sendable {
        public var table: String
        public var address: Int
        public var registers: [UInt16]?
        public var error: String?

        public init(table: String, address: Int, registers: [UInt16]? = nil, error: String? = nil) {
            self.table = table
            self.address = address
            self.registers = registers
            self.error = error
        }
    }

    /// Arrival time of the message at the gateway.
    public var time: EventTime
    /// The device id of the config.
    public var source: String
    public var topic: String?
    /// The message bytes exactly as received (MQTT).
    public var payload: [UInt8]?
    public var modbus: ModbusPoll?

    public init(
        time: EventTime,
        source: String,
        topic: String? = nil,
        payload: [UInt8]? = nil,
        modbus: ModbusPoll? = nil
    ) {
        self.time = time
        self.source = source
        self.topic = topic
        self.payload = payload
        self.modbus = modbus
    }
}

/// Why a capture line could not be read as a capture record.
public struct CaptureLineError: Error, Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var reason: String
    /// The start of the offending line, for the quarantine.
    public var excerpt: [UInt8]

    public init(file: String, line: Int, reason: String, excerpt: some Collection<UInt8> = []) {
        self.file = file
        self.line = line
        self.reason = reason
        self.excerpt = Array(excerpt.prefix(QuarantinedMessage.maximumPayloadBytes))
    }

    public var description: String { "\(file):\(line): \(reason)" }
}

extension CaptureRecord {
    /// Parses one capture line (without its newline).
    public init(jsonLine bytes: some Collection<UInt8>, file: String, line: Int) throws(CaptureLineError) {
        func fail(_ reason: String) -> CaptureLineError {
            CaptureLineError(file: file, line: line, reason: reason, excerpt: bytes)
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(bytes), options: [])
        } catch {
            throw fail("not a JSON object: \(Self.describe(error))")
        }
        guard let fields = object as? [String: Any] else { throw fail("not a JSON object") }
        guard let t = fields["t"] as? String else { throw fail("missing string field 't' (arrival time)") }
        let time: EventTime
        do {
            time = try EventTime(rfc3339: t)
        } catch {
            throw fail("field 't': \(error.description)")
        }
        guard let source = fields["source"] as? String, !source.isEmpty else {
            throw fail("missing string field 'source' (the device id)")
        }
        let topic = fields["topic"] as? String
        if let text = fields["payload"] {
            guard let text = text as? String else { throw fail("field 'payload' must be a string") }
            self.init(time: time, source: source, topic: topic, payload: Array(text.utf8))
        } else if let text = fields["payload_b64"] {
            guard let text = text as? String, let data = Data(base64Encoded: text) else {
                throw fail("field 'payload_b64' must be a base64 string")
            }
            self.init(time: time, source: source, topic: topic, payload: Array(data))
        } else if let poll = fields["modbus"] {
            guard let poll = poll as? [String: Any], let table = poll["table"] as? String,
                let address = poll["address"] as? Int
            else {
                throw fail("field 'modbus' must be an object with 'table' and 'address'")
            }
            var registers: [UInt16]?
            if let values = poll["registers"] {
                guard let values = values as? [Int], values.allSatisfy({ (0...0xFFFF).contains($0) }) else {
                    throw fail("field 'modbus.registers' must be an array of integers 0…65535")
                }
                registers = values.map { UInt16($0) }
            }
            let error = poll["error"] as? String
            guard registers != nil || error != nil else {
                throw fail("field 'modbus' needs 'registers' or 'error'")
            }
            self.init(
                time: time,
                source: source,
                modbus: ModbusPoll(table: table, address: address, registers: registers, error: error)
            )
        } else {
            throw fail("line has none of 'payload', 'payload_b64' or 'modbus'")
        }
    }

    private static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let detail = nsError.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return nsError.localizedDescription
    }
}
