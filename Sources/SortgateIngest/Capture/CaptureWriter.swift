import Foundation
import SortgateCore
import SortgateConfig

/// Appends capture lines to a JSON Lines file in the DESIGN.md capture format.
///
/// A payload that is valid UTF-8 is written as the `payload` string (so captures stay
/// readable and diffable); anything else as `payload_b64`. Lines are built from the borrowed
/// bytes of a `RawMessage` (a slot of the event ring) into one reused buffer, escaped as JSON
/// requires, and each is one `write(2)` of a complete line, so a crash leaves at most one partial
/// last line, which replay reports and skips. Not thread-safe: one writer per file, used by one
/// thread.
public final class CaptureWriter {
    public let path: String
    private let handle: FileHandle
    private var line: [UInt8] = []
    public private(set) var records = 0

    /// Creates (or truncates) the capture file, creating its folder if needed.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        handle = try FileHandle(forWritingTo: url)
        line.reserveCapacity(4096)
    }

    /// Appends one record as one line.
    public func append(_ record: CaptureRecord) throws {
        var topic = record.topic
        let body: (UnsafeRawBufferPointer?) throws -> Void = { topic in
            if let poll = record.modbus {
                try self.append(time: record.time, source: record.source, topic: topic, body: .modbus(poll))
            } else if let payload = record.payload {
                try payload.withUnsafeBytes {
                    try self.append(time: record.time, source: record.source, topic: topic, body: .payload($0))
                }
            } else {
                try self.append(time: record.time, source: record.source, topic: topic, body: .none)
            }
        }
        if topic != nil {
            try topic!.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        } else {
            try body(nil)
        }
    }

    /// Appends one borrowed message of device `source` (its config id) as one line. A truncated
    /// message (larger than the ring's largest) is recorded as the bytes the gateway kept.
    public func append(_ message: borrowing RawMessage, source: String) throws {
        try append(time: message.arrival, source: source, topic: message.topic, body: message.body)
    }

    private func append(time: EventTime, source: String, topic: UnsafeRawBufferPointer?, body: RawMessage.Body) throws {
        line.removeAll(keepingCapacity: true)
        put("{\"t\":\"")
        var text = time.rfc3339
        text.withUTF8 { line.append(contentsOf: $0) }
        put("\",\"source\":")
        var name = source
        name.withUTF8 { putString(UnsafeRawBufferPointer($0)) }
        if let topic {
            put(",\"topic\":")
            putString(topic)
        }
        switch body {
        case .payload(let bytes), .truncated(let bytes, _):
            if Self.isValidUTF8(bytes) {
                put(",\"payload\":")
                putString(bytes)
            } else {
                put(",\"payload_b64\":\"")
                putBase64(bytes)
                put("\"")
            }
        case .modbus(let poll):
            put(",\"modbus\":{\"table\":")
            var table = poll.table
            table.withUTF8 { putString(UnsafeRawBufferPointer($0)) }
            put(",\"address\":")
            put(String(poll.address))
            if let registers = poll.registers {
                put(",\"registers\":[")
                for (index, register) in registers.enumerated() {
                    if index > 0 { put(",") }
                    put(String(register))
                }
                put("]")
            }
            if let error = poll.error {
                put(",\"error\":")
                var error = error
                error.withUTF8 { putString(UnsafeRawBufferPointer($0)) }
            }
            put("}")
        case .none:
            break
        }
        put("}\n")
        try line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Foundation.write(handle.fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path, "errno": errno])
                }
                offset += written
            }
        }
        records += 1
    }

    private func put(_ text: StaticString) {
        text.withUTF8Buffer { line.append(contentsOf: $0) }
    }

    private func put(_ text: String) {
        line.append(contentsOf: text.utf8)
    }

    /// A JSON string: quotes, backslashes and control characters escaped (slashes are not).
    private func putString(_ bytes: UnsafeRawBufferPointer) {
        line.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): put("\\\"")
            case UInt8(ascii: "\\"): put("\\\\")
            case 0x0A: put("\\n")
            case 0x0D: put("\\r")
            case 0x09: put("\\t")
            case 0x08: put("\\b")
            case 0x0C: put("\\f")
            case 0..<0x20:
                put("\\u00")
                line.append(Self.hexDigits[Int(byte >> 4)])
                line.append(Self.hexDigits[Int(byte & 0xF)])
            default: line.append(byte)
            }
        }
        line.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let base64Digits = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private func putBase64(_ bytes: UnsafeRawBufferPointer) {
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let b0 = UInt32(bytes[index])
            let b1 = remaining > 1 ? UInt32(bytes[index + 1]) : 0
            let b2 = remaining > 2 ? UInt32(bytes[index + 2]) : 0
            let triple = b0 << 16 | b1 << 8 | b2
            line.append(Self.base64Digits[Int(triple >> 18 & 63)])
            line.append(Self.base64Digits[Int(triple >> 12 & 63)])
            line.append(remaining > 1 ? Self.base64Digits[Int(triple >> 6 & 63)] : UInt8(ascii: "="))
            line.append(remaining > 2 ? Self.base64Digits[Int(triple & 63)] : UInt8(ascii: "="))
            index += 3
        }
    }

    /// Whether `bytes` are well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing
    /// above U+10FFFF).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0:
                length = 3
                lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED:
                length = 3
                upper = 0x9F
            case 0xF0:
                length = 4
                lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4:
                length = 4
                upper = 0x8F
            default: return false
            }
            guard index + length <= count else { return false }
            let second = bytes[index + 1]
            guard second >= lower && second <= upper else { return false }
            for offset in 2..<max(2, length) where bytes[index + offset] & 0xC0 != 0x80 { return false }
            index += length
        }
        return true
    }

    /// Flushes to disk and closes the file.
    public func close() throws {
        try handle.synchronize()
        try handle.close()
    }
}
