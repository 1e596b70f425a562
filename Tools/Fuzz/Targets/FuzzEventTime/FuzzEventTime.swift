import SortgateCore

/// RFC 3339 timestamps as readers, capture files and manifests write them: both entry points,
/// and, for every accepted time, formatting and parsing back to the same instant.
func fuzzEventTime(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let fromBytes = EventTime(rfc3339Bytes: bytes)
    let fromText = try? EventTime(rfc3339: String(decoding: bytes, as: UTF8.self))
    if let time = fromBytes {
        let text = time.rfc3339
        // The formatter writes what the parser reads; a mismatch would move events in time.
        precondition(try! EventTime(rfc3339: text) == time, "\(text) does not parse back to \(time.nanoseconds)")
        // Valid UTF-8 (any accepted timestamp is ASCII) must parse the same through `String`.
        precondition(fromText == time, "the String and byte parsers disagree on \(text)")
    }
    return 0
}
