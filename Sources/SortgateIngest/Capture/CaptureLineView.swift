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
    /// How many bytes of the file lie before the next line: how far the reader has got (for a
    /// replay's progress).
    public let endOffset: Int
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
        endOffset: Int,
        time: EventTime,
        source: UnsafeRawBufferPointer,
        topic: UnsafeRawBufferPointer?,
        payload: UnsafeRawBufferPointer?,
        modbus: CaptureRecord.ModbusPoll?
    ) {
        self.line = line
        self.endOffset = endOffset
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

/// Thrown by ``CaptureLineParser`` for a line it leaves to the owning parser,
/// `CaptureRecord(jsonLine:file:line:)`, so that errors keep their wording. It carries nothing,
/// so throwing it allocates nothing.
struct FastPathExit: Error {}

/// The allocation-free reader of the common capture lines,
/// `{"t":…,"source":…,"topic":…,"payload":"<escaped JSON text>"}` and `payload_b64`.
///
/// It reads a line with a ``JSONByteScanner`` and unescapes the payload into a buffer the
/// caller reuses from line to line (a payload without escapes is not copied at all). It accepts
/// only what it is sure `CaptureRecord(jsonLine:file:line:)` reads the same way and throws
/// ``FastPathExit`` for everything else: Modbus polls, every line that the owning parser would
/// refuse, duplicated known members, escapes in `t`, `source` or `topic`, a `topic` that is not
/// a string, `\u` escapes of NUL in the payload, base64 that is not canonical (length not a
/// multiple of 4, bits set in the padding). The caller then runs the owning parser, so errors
/// keep their wording.
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
        guard let base = line.baseAddress, !line.isEmpty, scratch.count >= line.count, UTF8Check.isValid(line) else {
            throw FastPathExit()
        }
        let scanner = JSONByteScanner(base: base.assumingMemoryBound(to: UInt8.self), count: line.count)
        let parts: Parts?
        do throws(JSONSyntaxError) {
            parts = try parse(scanner, scratch: scratch)
        } catch {
            throw FastPathExit()
        }
        guard let parts else { throw FastPathExit() }
        return parts
    }

    /// The parts of a line, or nil for a line left to the owning parser.
    private static func parse(
        _ lineScanner: JSONByteScanner,
        scratch: UnsafeMutableRawBufferPointer
    ) throws(JSONSyntaxError) -> Parts? {
        var scanner = lineScanner
        var seen: UInt32 = 0
        var duplicated = false
        var t = -1
        var source = -1
        var topic = -1
        var payload = -1
        var payloadBase64 = -1
        func mark(_ bit: UInt32) {
            if seen & bit != 0 { duplicated = true }
            seen |= bit
        }
        guard scanner.byte(at: 0) == UInt8(ascii: "{"), try scanner.beginObject() else { return nil }
        repeat {
            let name = try scanner.memberName()
            let value = try scanner.valueStart()
            if name.is("t", in: scanner) {
                mark(1)
                t = value.offset
            } else if name.is("source", in: scanner) {
                mark(2)
                source = value.offset
            } else if name.is("topic", in: scanner) {
                mark(4)
                topic = value.isNull ? -1 : value.offset
                // Any other non-string is dropped by the owning parser; leave that rarity to it.
                if !value.isNull && scanner.byte(at: value.offset) != UInt8(ascii: "\"") { return nil }
            } else if name.is("payload", in: scanner) {
                mark(8)
                payload = value.offset
            } else if name.is("payload_b64", in: scanner) {
                mark(16)
                payloadBase64 = value.offset
            } else if name.is("modbus", in: scanner) {
                mark(32)
            }
            try scanner.skipValue()
        } while try scanner.nextMember(openedAt: 0)
        try scanner.finishText()
        guard !duplicated, t >= 0, source >= 0, let time = plainString(at: t, scanner).flatMap({
            EventTime(rfc3339Bytes: scanner.buffer($0))
        }) else { return nil }
        guard let sourceRange = unescapedString(at: source, scanner), !sourceRange.isEmpty else { return nil }
        var topicRange: Range<Int>?
        if topic >= 0 {
            guard let range = unescapedString(at: topic, scanner) else { return nil }
            topicRange = range
        }
        var parts = Parts(
            time: time,
            source: sourceRange,
            topic: topicRange,
            payloadInLine: nil,
            payloadInScratchCount: 0
        )
        if payload >= 0 {
            guard scanner.kind(at: payload) == .string else { return nil }
            let token = scanner.stringToken(at: payload)
            if token.hasEscapes {
                // NUL in a payload is left to the owning parser, as it always was.
                let count = scanner.unescape(token.content, into: scratch)
                guard !UnsafeRawBufferPointer(rebasing: scratch[0..<count]).contains(0) else { return nil }
                parts.payloadInScratchCount = count
            } else {
                parts.payloadInLine = token.content
            }
        } else if payloadBase64 >= 0 {
            guard let text = plainString(at: payloadBase64, scanner),
                let count = decodeCanonicalBase64(scanner.buffer(text), into: scratch)
            else { return nil }
            parts.payloadInScratchCount = count
        } else {
            // A Modbus poll, or a line the owning parser refuses.
            return nil
        }
        return parts
    }

    /// The content of the string at `offset` when it is plain ASCII without escapes.
    private static func plainString(at offset: Int, _ scanner: JSONByteScanner) -> Range<Int>? {
        guard scanner.kind(at: offset) == .string else { return nil }
        let token = scanner.stringToken(at: offset)
        return token.plainASCII ? token.content : nil
    }

    /// The content of the string at `offset` when it has no escapes (any UTF-8 text).
    private static func unescapedString(at offset: Int, _ scanner: JSONByteScanner) -> Range<Int>? {
        guard scanner.kind(at: offset) == .string else { return nil }
        let token = scanner.stringToken(at: offset)
        return token.hasEscapes ? nil : token.content
    }

    /// Decodes base64 that every decoder reads the same way (RFC 4648 §4 with padding to a
    /// multiple of 4 and zero pad bits) into `scratch`, returning the byte count.
    private static func decodeCanonicalBase64(
        _ text: UnsafeBufferPointer<UInt8>,
        into scratch: UnsafeMutableRawBufferPointer
    ) -> Int? {
        guard text.count % 4 == 0 else { return nil }
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
            guard let value = Base64.digitValue(text[position]) else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                scratch[out] = UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount))
                out += 1
            }
        }
        // Bits left over must be zero: decoders differ on whether they tolerate others.
        guard accumulator & ((1 << UInt32(bitCount)) - 1) == 0 else { return nil }
        return out
    }
}
