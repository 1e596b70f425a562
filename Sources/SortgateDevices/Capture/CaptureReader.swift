import Foundation

/// Reads a capture file line by line in bounded memory.
///
/// The file is read in 1 MiB chunks; a line longer than `maximumLineBytes` (a payload far above
/// any `max_payload`) is skipped and reported rather than buffered without bound.
public struct CaptureReader: Sendable {
    /// One line of the file, or why it was unusable.
    public typealias Line = Result<CaptureRecord, CaptureLineError>

    public let path: String
    public let maximumLineBytes: Int

    public init(path: String, maximumLineBytes: Int = 16 << 20) {
        self.path = path
        self.maximumLineBytes = maximumLineBytes
    }

    /// Why a capture file could not be read at all.
    public struct OpenError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot read capture '\(path)': \(reason)" }
    }

    /// Calls `body` with every non-empty line of the file, in order.
    public func forEachLine(_ body: (Line) async throws -> Void) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw OpenError(path: path, reason: reason)
        }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var lineNumber = 0
        var skipping = false
        func emit(_ bytes: ArraySlice<UInt8>) async throws {
            lineNumber += 1
            var slice = bytes
            if slice.last == UInt8(ascii: "\r") { slice = slice.dropLast() }
            if slice.allSatisfy({ $0 == 32 || $0 == 9 }) { return }
            do {
                try await body(.success(try CaptureRecord(jsonLine: slice, file: path, line: lineNumber)))
            } catch let error as CaptureLineError {
                try await body(.failure(error))
            }
        }
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: 1 << 20) ?? Data()
            } catch {
                throw OpenError(path: path, reason: "\(error)")
            }
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                if skipping {
                    skipping = false
                    lineNumber += 1
                } else {
                    try await emit(pending[start..<newline])
                }
                start = newline + 1
            }
            pending.removeFirst(start)
            if pending.count > maximumLineBytes {
                skipping = true
                pending.removeAll(keepingCapacity: true)
                try await body(
                    .failure(
                        CaptureLineError(
                            file: path,
                            line: lineNumber + 1,
                            reason: "line longer than \(maximumLineBytes) bytes; skipped"
                        )
                    )
                )
            }
        }
        if !pending.isEmpty && !skipping { try await emit(pending[...]) }
    }
}
