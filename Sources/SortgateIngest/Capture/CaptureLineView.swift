public import SortgateCore
import SortgateConfig

/// One capture line, borrowed from the reader for the duration of one call of the body passed
/// to ``CaptureReader/forEachLineView(_:failed:)``.
///
/// It holds the same facts as a ``CaptureRecord`` without owning them: `source`, `topic` and
/// `payload` point into the reader's line buffer or into its reused unescape buffer, and are
/// valid only until the body returns. It is non-copyable so that it cannot be kept by accident;
/// a caller that needs the line later calls ``record()``, which copies (and allocates).
public struct CaptureLineView: ~Copyable {
    /// The line's number in its file, 1-based, as in ``CaptureLineError``.
    public let line: Int
    /// Arrival time of the message at the gateway (the line's `t`).
    public let time: EventTime
    /// The UTF-8 bytes of the device id (`source`), never empty.
    public let source: UnsafeRawBufferPointer
    /// The UTF-8 bytes of the MQTT topic, when the line has one.
    public let topic: UnsafeRawBufferPointer?
    /// The message bytes exactly as received (`payload` unescaped, or `payload_b64` decoded);
    /// nil for a Modbus poll.
    public let payload: UnsafeRawBufferPointer?
    /// The recorded Modbus poll; nil for a message. Modbus lines (one per poll, not per tag
    /// read) are parsed by the owning parser, so this one allocates.
    public let modbus: CaptureRecord.ModbusPoll?

    init(
        line: Int,
        time: EventTime,
        source: UnsafeRawBufferPointer,
        topic: UnsafeRawBufferPointer?,
        payload: UnsafeRawBufferPointer?,
        modbus: CaptureRecord.ModbusPoll?
    ) {
        self.line = line
        self.time = time
        self.source = source
        self.topic = topic
        self.payload = payload
        self.modbus = modbus
    }

    /// The device id as a `String` (allocates unless it is at most 15 bytes).
    public var sourceText: String { String(decoding: source, as: UTF8.self) }

    /// An owned copy of the line, equal to what `CaptureRecord(jsonLine:file:line:)` returns.
    public func record() -> CaptureRecord {
        CaptureRecord(
            time: time,
            source: sourceText,
            topic: topic.map { String(decoding: $0, as: UTF8.self) },
            payload: payload.map { Array($0) },
            modbus: modbus
        )
    }
}

/// The allocation-free reader of the common capture lines,
/// `{"t":…,"source":…,"topic":…,"payload":"<escaped JSON text>"}` and `payload_b64`.
///
/// It reads a line with a ``JSONByteScanner`` and unescapes the payload into a buffer the
/// caller reuses from line to line (a payload without escapes is not copied at all). Like the
/// fast payload decoders, it accepts only what it is sure `CaptureRecord(jsonLine:file:line:)`
/// reads the same way and throws ``FastPathExit`` for everything else: Modbus polls, every
/// line that the owning parser would refuse, duplicated known members, escapes in `t`,
/// `source` or `topic`, a `topic` that is not a string, `\u` escapes of NUL or of a lone
/// surrogate in the payload, base64 that is not canonical (length not a multiple of 4, bits set
/// in the padding). The caller then runs the owning parser, so errors keep their wording.
struct CaptureLineParser {
    /// Where the parts of a parsed line are: ranges in the line, and the payload either in the
    /// line (no escapes) or at the start of the scratch buffer.
    struct Parts {
        var time: EventTime
        var source: Range<Int>
        var topic: Range<Int>?
        var payloadInLine: Range<Int>?
        var payloadInScratchCount: Int
    }

    /// Parses `line` (without its newline or trailing `\r`); `scratch` must hold at least
    /// `line.count` bytes.
    static func parse(
        _ line: UnsafeRawBufferPointer,
        scratch: UnsafeMutableRawBufferPointer
    ) throws(FastPathExit) -> Parts {
        guard let base = line.baseAddress, !line.isEmpty, scratch.count >= line.count,
            PayloadDecoder.isValidUTF8(line)
        else { throw FastPathExit() }
        var scanner = JSONByteScanner(base: base.assumingMemoryBound(to: UInt8.self), count: line.count)
        var seen: UInt32 = 0
        var t = -1
        var source = -1
        var topic = -1
        var payload = -1
        var payloadBase64 = -1
        func mark(_ bit: UInt32) throws(FastPathExit) {
            guard seen & bit == 0 else { throw FastPathExit() }
            seen |= bit
        }
        guard try scanner.beginObject() else { throw FastPathExit() }
        repeat {
            let name = try scanner.memberName()
            let value = try scanner.valueStart()
            if scanner.bytes(name, equal: "t") {
                try mark(1)
                t = value.offset
            } else if scanner.bytes(name, equal: "source") {
                try mark(2)
                source = value.offset
            } else if scanner.bytes(name, equal: "topic") {
                try mark(4)
                topic = value.isNull ? -1 : value.offset
                // Any other non-string is dropped by the owning parser; leave that rarity to it.
                if !value.isNull && scanner.byte(at: value.offset) != UInt8(ascii: "\"") { throw FastPathExit() }
            } else if scanner.bytes(name, equal: "payload") {
                try mark(8)
                payload = value.offset
            } else if scanner.bytes(name, equal: "payload_b64") {
                try mark(16)
                payloadBase64 = value.offset
            } else if scanner.bytes(name, equal: "modbus") {
                try mark(32)
            }
            try scanner.skipValue()
        } while try scanner.nextMember()
        guard scanner.atEnd(), t >= 0, source >= 0 else { throw FastPathExit() }

        guard let time = EventTime(rfc3339Bytes: scanner.buffer(try scanner.plainString(at: t))) else {
            throw FastPathExit()
        }
        let sourceRange = try unescapedString(at: source, scanner)
        guard !sourceRange.isEmpty else { throw FastPathExit() }
        let topicRange = topic >= 0 ? try unescapedString(at: topic, scanner) : nil
        var parts = Parts(
            time: time,
            source: sourceRange,
            topic: topicRange,
            payloadInLine: nil,
            payloadInScratchCount: 0
        )
        if payload >= 0 {
            guard scanner.byte(at: payload) == UInt8(ascii: "\"") else { throw FastPathExit() }
            var stringScanner = scanner
            stringScanner.index = payload
            let token = try stringScanner.scanString()
            if token.hasEscapes {
                parts.payloadInScratchCount = try unescape(token.content, scanner, into: scratch)
            } else {
                parts.payloadInLine = token.content
            }
        } else if payloadBase64 >= 0 {
            let text = scanner.buffer(try scanner.plainString(at: payloadBase64))
            parts.payloadInScratchCount = try decodeCanonicalBase64(text, into: scratch)
        } else {
            // A Modbus poll, or a line the owning parser refuses.
            throw FastPathExit()
        }
        return parts
    }

    /// The content of the string at `offset` when it has no escapes (any UTF-8 text).
    private static func unescapedString(at offset: Int, _ scanner: JSONByteScanner) throws(FastPathExit) -> Range<Int> {
        guard scanner.byte(at: offset) == UInt8(ascii: "\"") else { throw FastPathExit() }
        var stringScanner = scanner
        stringScanner.index = offset
        let token = try stringScanner.scanString()
        guard !token.hasEscapes else { throw FastPathExit() }
        return token.content
    }

    /// Unescapes a string's content (already checked by the scanner) into `scratch`, returning
    /// the byte count; UTF-16 surrogate pairs become one 4-byte UTF-8 sequence.
    private static func unescape(
        _ content: Range<Int>,
        _ scanner: JSONByteScanner,
        into scratch: UnsafeMutableRawBufferPointer
    ) throws(FastPathExit) -> Int {
        var out = 0
        var index = content.lowerBound
        let end = content.upperBound
        @inline(__always) func put(_ byte: UInt8) {
            scratch[out] = byte
            out += 1
        }
        while index < end {
            let byte = scanner.byte(at: index)
            guard byte == UInt8(ascii: "\\") else {
                put(byte)
                index += 1
                continue
            }
            let escaped = scanner.byte(at: index + 1)
            index += 2
            switch escaped {
            case UInt8(ascii: "b"): put(0x08)
            case UInt8(ascii: "f"): put(0x0C)
            case UInt8(ascii: "n"): put(0x0A)
            case UInt8(ascii: "r"): put(0x0D)
            case UInt8(ascii: "t"): put(0x09)
            case UInt8(ascii: "u"):
                // The scanner let through only non-NUL, non-surrogate units: at most 3 UTF-8
                // bytes, never more than the 6 bytes of the escape itself.
                guard let unit = scanner.hexUnit(at: index) else { throw FastPathExit() }
                index += 4
                let scalar = UInt32(unit)
                if scalar < 0x80 {
                    put(UInt8(scalar))
                } else if scalar < 0x800 {
                    put(UInt8(0xC0 | scalar >> 6))
                    put(UInt8(0x80 | scalar & 0x3F))
                } else {
                    put(UInt8(0xE0 | scalar >> 12))
                    put(UInt8(0x80 | scalar >> 6 & 0x3F))
                    put(UInt8(0x80 | scalar & 0x3F))
                }
            default:
                // `"`, `\` and `/` stand for themselves.
                put(escaped)
            }
        }
        return out
    }

    /// Decodes base64 that every decoder reads the same way (RFC 4648 §4 with padding to a
    /// multiple of 4 and zero pad bits) into `scratch`, returning the byte count.
    private static func decodeCanonicalBase64(
        _ text: UnsafeBufferPointer<UInt8>,
        into scratch: UnsafeMutableRawBufferPointer
    ) throws(FastPathExit) -> Int {
        guard text.count % 4 == 0 else { throw FastPathExit() }
        var length = text.count
        var padding = 0
        while length > 0, text[length - 1] == UInt8(ascii: "="), padding < 2 {
            length -= 1
            padding += 1
        }
        var out = 0
        var accumulator: UInt32 = 0
        var bitCount = 0
        for position in 0..<length {
            let digit = text[position]
            let value: UInt8
            switch digit {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = digit - UInt8(ascii: "A")
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = digit - UInt8(ascii: "a") + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = digit - UInt8(ascii: "0") + 52
            case UInt8(ascii: "+"): value = 62
            case UInt8(ascii: "/"): value = 63
            default: throw FastPathExit()
            }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                scratch[out] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount))
                out += 1
            }
        }
        // Bits left over must be zero: decoders differ on whether they tolerate others.
        guard accumulator & ((1 << UInt32(bitCount)) - 1) == 0 else { throw FastPathExit() }
        return out
    }
}
