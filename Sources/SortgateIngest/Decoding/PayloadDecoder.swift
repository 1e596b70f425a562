public import SortgateCore
public import SortgateConfig

/// Turns the bytes of one MQTT message from an RFID reader into ``TagRead`` values, for one
/// ``PayloadFormat`` (Impinj IoT, Zebra IoT Connector, or a generic JSON-pointer mapping).
///
/// A message is checked in this order, and the first failing check rejects it as a whole:
/// size above `maxPayload` (`oversize`), bytes that are not UTF-8 (`invalid-utf8`), text that
/// is not JSON (`malformed-json`, with the byte offset), a message shape the format does not
/// know (`wrong-type`). Then every event in the message is decoded on its own: a bad field
/// rejects only its event (with the field's path in the detail), the good events of the same
/// batch still become reads, and ``DecodeSummary`` reports what was ignored and rejected.
///
/// A message whose events were *all* rejected (at least one event, none decoded, none
/// ignored) is a rejected message: `decode` throws the first event's rejection, noting how
/// many more there were. So a caller has one path for "nothing usable in this message", which
/// is also what a single-event message (Impinj's normal case) needs. Whenever `decode` throws,
/// it has appended nothing to `reads`.
///
/// Event time is the reader's own timestamp when the event has one, else the message's
/// arrival. Reader timestamps before 2000-01-01 or more than one day after arrival are
/// rejected (`invalid-timestamp`): an unset or drifting reader clock would otherwise move
/// tags back in time or hold a departure for days.
///
/// A message that yields nothing is never dropped silently: an event that says nothing a reader
/// could have meant (`{}` for the vendor formats) and a batch without events (`[]`,
/// `{"events":[]}`) are rejected as `missing-field`, and text that is not exactly JSON (a
/// trailing comma, say) is `malformed-json`. A message is thus either rejected with a reason,
/// or it holds at least one read, ignored or rejected event counted in its ``DecodeSummary``.
///
/// Each format is decoded once, by walking the message bytes with the module's one JSON reader,
/// ``JSONByteScanner``: member names are compared as bytes, unknown members skipped while their
/// syntax is checked, and reads built straight from the bytes (EPC from hex or base64,
/// timestamps and numbers parsed in place). A normal message therefore costs one pass and no
/// heap allocation beyond the growth of `reads`; text is built only to describe a rejection, or
/// to compare a string holding escapes or non-ASCII text the way Swift `String`s compare. The
/// generic `json` mapping checks the message in one pass, then follows each pointer by scanning
/// its event, so its cost grows with the number of mapped fields times the event's size. The
/// README's benchmark section has the figures. A decoder value is immutable and safe to share
/// between threads.
public struct PayloadDecoder: Sendable {
    /// The default `max_payload`: 64 KiB.
    public static let defaultMaxPayload = 65_536
    /// Reader timestamps before this instant (2000-01-01T00:00:00Z) are rejected.
    public static let earliestPlausibleTime = EventTime(seconds: 946_684_800)
    /// How far a reader timestamp may be ahead of the message's arrival before it is rejected.
    public static let maximumClockLead: Duration = .seconds(86_400)

    /// How the message bytes are laid out.
    public let format: PayloadFormat
    /// Messages larger than this many bytes are rejected as `oversize` without being parsed.
    public let maxPayload: Int
    /// The generic mapping's pointers, parsed once here rather than per message.
    let compiledMapping: CompiledJSONMapping?

    /// Creates a decoder for a format whose JSON pointers are known to be valid, as the profile
    /// loader ensures by parsing each with ``JSONPointer`` and reporting `file:line:column`.
    ///
    /// An invalid pointer here is a programming error and stops the process; use
    /// ``init(validating:maxPayload:)`` to get it as an error instead.
    ///
    /// - Parameter maxPayload: the largest accepted message in bytes; must be positive.
    public init(format: PayloadFormat, maxPayload: Int = PayloadDecoder.defaultMaxPayload) {
        do throws(JSONPointerError) {
            try self.init(validating: format, maxPayload: maxPayload)
        } catch {
            preconditionFailure("payload mapping was not validated: \(error)")
        }
    }

    /// Creates a decoder, parsing a `.json` mapping's pointers once here rather than per message.
    ///
    /// - Parameter maxPayload: the largest accepted message in bytes; must be positive.
    /// - Throws: ``JSONPointerError`` naming the mapping field whose pointer is malformed.
    public init(
        validating format: PayloadFormat,
        maxPayload: Int = PayloadDecoder.defaultMaxPayload
    ) throws(JSONPointerError) {
        precondition(maxPayload > 0, "max_payload must be positive, got \(maxPayload)")
        self.format = format
        self.maxPayload = maxPayload
        if case .json(let mapping) = format {
            compiledMapping = try CompiledJSONMapping(mapping)
        } else {
            compiledMapping = nil
        }
    }

    /// Decodes one message, appending its tag reads to `reads`.
    ///
    /// - Parameters:
    ///   - payload: the message bytes as received; read only during the call, never copied whole.
    ///   - source: the device the message came from, stamped on every read.
    ///   - seq: the message's per-source sequence number, stamped on every read.
    ///   - arrival: when the message arrived; the event time of events without a timestamp.
    /// - Returns: counts of reads, ignored and overflow events, and the rejected events of a
    ///   partly bad batch.
    /// - Throws: ``PayloadRejection`` when the message as a whole is unusable (see the type's
    ///   documentation); `reads` is then unchanged.
    public func decode(
        _ payload: UnsafeRawBufferPointer,
        source: SourceID,
        seq: UInt64,
        arrival: EventTime,
        into reads: inout [TagRead]
    ) throws(PayloadRejection) -> DecodeSummary {
        guard payload.count <= maxPayload else {
            throw PayloadRejection(
                reason: .oversize,
                detail: "payload is \(payload.count) bytes, above max_payload \(maxPayload)"
            )
        }
        if !UTF8Check.isValid(payload), let invalid = UTF8Check(payload).firstInvalid {
            let shown = invalid.bytes.map { "0x" + hexByte($0) }.joined(separator: " ")
            throw PayloadRejection(reason: .invalidUTF8, detail: "invalid UTF-8 at byte \(invalid.offset) (\(shown))")
        }
        guard let base = payload.baseAddress, !payload.isEmpty else {
            throw PayloadRejection(
                reason: .malformedJSON,
                detail: "byte offset 0: unexpected end of JSON (empty payload)"
            )
        }
        let message = MessageStamp(source: source, seq: seq, arrival: arrival)
        var scanner = JSONByteScanner(base: base.assumingMemoryBound(to: UInt8.self), count: payload.count)
        scanner.skipByteOrderMark()
        let mark = reads.count
        let result: Result<DecodeSummary, PayloadRejection>
        do throws(JSONSyntaxError) {
            switch format {
            case .impinjIoT:
                result = try decodeImpinj(&scanner, message: message, into: &reads)
            case .zebraIoT:
                result = try decodeZebra(&scanner, message: message, into: &reads)
            case .json:
                // `compiledMapping` is set by `init` for every `.json` format.
                result = try decodeMapped(&scanner, mapping: compiledMapping!, message: message, into: &reads)
            }
        } catch {
            reads.removeSubrange(mark...)
            throw PayloadRejection(reason: .malformedJSON, detail: error.description)
        }
        switch result {
        case .success(let summary):
            return summary
        case .failure(let rejection):
            reads.removeSubrange(mark...)
            throw rejection
        }
    }

    /// Decodes one message held in any byte collection; contiguous storage (`[UInt8]`,
    /// `ArraySlice`, `Data`) is read in place, anything else is copied once.
    public func decode(
        _ payload: some Collection<UInt8>,
        source: SourceID,
        seq: UInt64,
        arrival: EventTime,
        into reads: inout [TagRead]
    ) throws(PayloadRejection) -> DecodeSummary {
        let inPlace: Result<DecodeSummary, PayloadRejection>? = payload.withContiguousStorageIfAvailable { buffer in
            Result { () throws(PayloadRejection) in
                try decode(UnsafeRawBufferPointer(buffer), source: source, seq: seq, arrival: arrival, into: &reads)
            }
        }
        if let inPlace {
            return try inPlace.get()
        }
        let copied = Array(payload)
        let result: Result<DecodeSummary, PayloadRejection> = copied.withUnsafeBytes { buffer in
            Result { () throws(PayloadRejection) in
                try decode(buffer, source: source, seq: seq, arrival: arrival, into: &reads)
            }
        }
        return try result.get()
    }
}

/// Why a device message, or one event inside it, was not turned into reads.
///
/// `reason` is the label counted in metrics and stored in the quarantine; `detail` tells a
/// person where the problem is (a field path such as `events[3].tagInventoryEvent.antennaPort`,
/// a JSON pointer, or a byte offset) and what is wrong there. Text taken from the message is
/// quoted with control characters escaped, so a detail is safe to log.
public struct PayloadRejection: Error, Hashable, Sendable, CustomStringConvertible {
    public var reason: RejectReason
    public var detail: String
    /// The position of the rejected event in a batched message (`events`, or a top-level
    /// array); nil when the message itself was rejected or is a single event.
    public var eventIndex: Int?

    public init(reason: RejectReason, detail: String, eventIndex: Int? = nil) {
        self.reason = reason
        self.detail = detail
        self.eventIndex = eventIndex
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}

/// What one decoded message held, beyond the reads appended to the caller's array.
public struct DecodeSummary: Hashable, Sendable {
    /// Tag reads appended.
    public var reads: Int
    /// Events that are not tag reads and were skipped on purpose (Impinj `antennaConnected`,
    /// `inventoryStatus`, `overflow`, …; Zebra heartbeats and other non-tag `type`s).
    public var ignoredEvents: Int
    /// Impinj `overflow` events: the reader's own buffer overflowed and it lost reads. Each is
    /// also counted in `ignoredEvents`.
    public var overflowWarnings: Int
    /// Events rejected while others in the same message were decoded or ignored, in message order.
    public var rejected: [PayloadRejection]

    public init(reads: Int = 0, ignoredEvents: Int = 0, overflowWarnings: Int = 0, rejected: [PayloadRejection] = []) {
        self.reads = reads
        self.ignoredEvents = ignoredEvents
        self.overflowWarnings = overflowWarnings
        self.rejected = rejected
    }

    /// Every event the message held: read, ignored or rejected.
    public var events: Int { reads + ignoredEvents + rejected.count }
}

/// The per-message values every read of the message carries.
struct MessageStamp {
    let source: SourceID
    let seq: UInt64
    let arrival: EventTime

    /// A read of this message: the one place a decoder makes a `TagRead`.
    func read(
        time: EventTime,
        epc: EPC,
        antenna: UInt16,
        rssi: Int32?,
        readCount: UInt32 = 1,
        eventNumber: UInt64? = nil
    ) -> EventOutcome {
        .read(
            TagRead(
                source: source,
                seq: seq,
                time: time,
                epc: epc,
                antenna: antenna,
                rssiCentiDbm: rssi,
                readCount: readCount,
                vendorEventNumber: eventNumber
            )
        )
    }
}

/// What one event of a message turned out to be.
enum EventOutcome {
    case read(TagRead)
    /// Not a tag read (status, diagnostics, heartbeat): skipped and counted.
    case ignored
    /// The reader reports that its own buffer overflowed: skipped, counted, worth a warning.
    case overflowWarning
}

extension PayloadDecoder {
    /// Counts one event's outcome in `summary`, appending its read; a rejection is kept with the
    /// event's position in its batch (nil for a message that is one event).
    @inline(__always)
    func record(
        _ outcome: Result<EventOutcome, PayloadRejection>,
        into reads: inout [TagRead],
        _ summary: inout DecodeSummary,
        eventIndex: Int?
    ) {
        switch outcome {
        case .success(.read(let read)):
            reads.append(read)
            summary.reads += 1
        case .success(.ignored):
            summary.ignoredEvents += 1
        case .success(.overflowWarning):
            summary.ignoredEvents += 1
            summary.overflowWarnings += 1
        case .failure(var rejection):
            rejection.eventIndex = eventIndex
            summary.rejected.append(rejection)
        }
    }

    /// The result of a decoded message: a rejection when it held no event at all (`emptyBatch`
    /// names the empty array) or when every event was rejected (the rule described on
    /// ``PayloadDecoder``), else its summary.
    /// Walks the array of events at the scanner (the top level, or a batch's `container` member):
    /// each object element is scanned and decoded by `decodeObject`, any other element is a
    /// `wrong-type` rejection of its own; every outcome is recorded with its index.
    func decodeEventArray(
        _ scanner: inout JSONByteScanner,
        container: String,
        into reads: inout [TagRead],
        _ summary: inout DecodeSummary,
        decodeObject: (inout JSONByteScanner, EventLocation) throws(JSONSyntaxError) -> Result<EventOutcome, PayloadRejection>
    ) throws(JSONSyntaxError) {
        let opening = scanner.index
        guard try scanner.beginArray() else { return }
        var index = 0
        repeat {
            let location = EventLocation(style: .fieldPath, container: container, index: index)
            let start = try scanner.valueStart().offset
            let outcome: Result<EventOutcome, PayloadRejection>
            if scanner.byte(at: start) == UInt8(ascii: "{") {
                outcome = try decodeObject(&scanner, location)
            } else {
                try scanner.skipValue()
                let value = JSONField(scanner: scanner, offset: start)
                outcome = .failure(EventField.wrongType(location.eventPath, expected: "an object", got: value))
            }
            record(outcome, into: &reads, &summary, eventIndex: index)
            index += 1
        } while try scanner.nextElement(openedAt: opening)
    }

    func finish(_ summary: DecodeSummary, emptyBatch: String? = nil) -> Result<DecodeSummary, PayloadRejection> {
        if let emptyBatch, summary.events == 0 {
            return .failure(
                PayloadRejection(
                    reason: .missingField,
                    detail: "\(emptyBatch): an empty array; the message holds no events"
                )
            )
        }
        if var first = summary.rejected.first, summary.reads == 0, summary.ignoredEvents == 0 {
            let others = summary.rejected.count - 1
            if others > 0 {
                first.detail += " (and \(others) more rejected event\(others == 1 ? "" : "s"); no event was usable)"
            }
            return .failure(first)
        }
        return .success(summary)
    }
}
