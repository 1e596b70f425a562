import Foundation
public import SortgateCore

/// Appends capture records to a JSON Lines file in the DESIGN.md capture format.
///
/// A payload that is valid UTF-8 is written as the `payload` string (so captures stay
/// readable and diffable); anything else as `payload_b64`. Each record is one `write(2)` of a
/// complete line, so a crash leaves at most one partial last line, which replay reports and
/// skips. Not thread-safe: one writer per file, used by one thread.
public final class CaptureWriter {
    private struct Line: Encodable {
        var t: String
        var source: String
        var topic: String?
        var payload: String?
        var payload_b64: String?
        var modbus: Poll?
    }

    private struct Poll: Encodable {
        var table: String
        var address: Int
        var registers: [UInt16]?
        var error: String?
    }

    public let path: String
    private let handle: FileHandle
    private let encoder: JSONEncoder
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
        encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
    }

    /// Appends one record as one line.
    public func append(_ record: CaptureRecord) throws {
        var line = Line(t: record.time.rfc3339, source: record.source, topic: record.topic)
        if let payload = record.payload {
            if let text = String(validating: payload, as: UTF8.self) {
                line.payload = text
            } else {
                line.payload_b64 = Data(payload).base64EncodedString()
            }
        }
        if let poll = record.modbus {
            line.modbus = Poll(table: poll.table, address: poll.address, registers: poll.registers, error: poll.error)
        }
        var data = try encoder.encode(line)
        data.append(UInt8(ascii: "\n"))
        try handle.write(contentsOf: data)
        records += 1
    }

    /// Flushes to disk and closes the file.
    public func close() throws {
        try handle.synchronize()
        try handle.close()
    }
}
