import Foundation
import SortgateConfig

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

    /// Calls `body` with every non-empty line of the file that is a capture record, in order,
    /// borrowed rather than copied, and `failed` with every line that is not; the lines, their
    /// numbers and the errors are exactly those of ``forEachLine(_:)``.
    ///
    /// Cost: the file is read with `read(2)` in 1 MiB chunks into one buffer owned by this call
    /// (grown only for lines above 1 MiB, up to `maximumLineBytes` plus a chunk), and a payload
    /// with escapes is unescaped into a second reused buffer; the common lines (`payload`,
    /// `payload_b64`) are read by ``CaptureLineParser`` without any allocation. A Modbus poll or
    /// any line the fast parser leaves alone goes through `CaptureRecord(jsonLine:file:line:)`
    /// and allocates, so its errors keep their exact wording.
    public func forEachLineView(
        _ body: (borrowing CaptureLineView) async throws -> Void,
        failed: (CaptureLineError) async throws -> Void
    ) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied" : "no such file"
            throw OpenError(path: path, reason: reason)
        }
        defer { try? handle.close() }
        let chunk = 1 << 20
        var lines = ReusedBytes(capacity: 2 * chunk)
        var scratch = ReusedBytes(capacity: chunk)
        defer {
            lines.deallocate()
            scratch.deallocate()
        }
        // `lines.storage[start..<filled]` is read but not yet split into lines.
        var start = 0
        var filled = 0
        var lineNumber = 0
        var skipping = false
        // How many bytes of the file came before `lines.storage[0]`.
        var storageOffset = 0

        func emit(_ lineStart: Int, _ lineEnd: Int, endOffset: Int) async throws {
            lineNumber += 1
            var end = lineEnd
            if end > lineStart, lines.storage[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            var blank = true
            for position in lineStart..<end where lines.storage[position] != 32 && lines.storage[position] != 9 {
                blank = false
                break
            }
            if blank { return }
            let line = UnsafeRawBufferPointer(rebasing: lines.storage[lineStart..<end])
            scratch.reserve(line.count)
            let parsed: CaptureLineParser.Parts
            do throws(FastPathExit) {
                parsed = try CaptureLineParser.parse(line, scratch: scratch.storage)
            } catch {
                try await emitOwned(line, endOffset: endOffset)
                return
            }
            let payload =
                parsed.payloadInLine.map { UnsafeRawBufferPointer(rebasing: line[$0]) }
                ?? UnsafeRawBufferPointer(rebasing: scratch.storage[0..<parsed.payloadInScratchCount])
            try await body(
                CaptureLineView(
                    line: lineNumber,
                    endOffset: endOffset,
                    time: parsed.time,
                    source: UnsafeRawBufferPointer(rebasing: line[parsed.source]),
                    topic: parsed.topic.map { UnsafeRawBufferPointer(rebasing: line[$0]) },
                    payload: payload,
                    modbus: nil
                )
            )
        }

        /// A line for the owning parser: errors as from `forEachLine`, records copied into the
        /// scratch buffer so that the view points into memory this call owns.
        func emitOwned(_ line: UnsafeRawBufferPointer, endOffset: Int) async throws {
            let record: CaptureRecord
            do throws(CaptureLineError) {
                record = try CaptureRecord(jsonLine: line, file: path, line: lineNumber)
            } catch {
                try await failed(error)
                return
            }
            let source = Array(record.source.utf8)
            let topic = record.topic.map { Array($0.utf8) }
            let payload = record.payload ?? []
            scratch.reserve(source.count + (topic?.count ?? 0) + payload.count)
            var offset = 0
            func place(_ bytes: [UInt8]) -> UnsafeRawBufferPointer {
                let destination = UnsafeMutableRawBufferPointer(
                    rebasing: scratch.storage[offset..<(offset + bytes.count)]
                )
                destination.copyBytes(from: bytes)
                offset += bytes.count
                return UnsafeRawBufferPointer(destination)
            }
            let sourceView = place(source)
            let topicView = topic.map { place($0) }
            let payloadView = record.payload == nil ? nil : place(payload)
            try await body(
                CaptureLineView(
                    line: lineNumber,
                    endOffset: endOffset,
                    time: record.time,
                    source: sourceView,
                    topic: topicView,
                    payload: payloadView,
                    modbus: record.modbus
                )
            )
        }

        while true {
            // Room for one more chunk after what is pending.
            if start > 0 {
                let pending = filled - start
                if pending > 0 {
                    lines.storage.baseAddress!.copyMemory(from: lines.storage.baseAddress! + start, byteCount: pending)
                }
                filled = pending
                storageOffset += start
                start = 0
            }
            lines.reserve(filled + chunk, keeping: filled)
            let read = try Self.readChunk(handle, into: lines.storage, at: filled, count: chunk, path: path)
            if read == 0 { break }
            var scanFrom = filled
            filled += read
            while let newline = Self.firstNewline(lines.storage, from: scanFrom, to: filled) {
                if skipping {
                    skipping = false
                    lineNumber += 1
                } else {
                    try await emit(start, newline, endOffset: storageOffset + newline + 1)
                }
                start = newline + 1
                scanFrom = start
            }
            if filled - start > maximumLineBytes {
                skipping = true
                storageOffset += filled
                start = 0
                filled = 0
                try await failed(
                    CaptureLineError(
                        file: path,
                        line: lineNumber + 1,
                        reason: "line longer than \(maximumLineBytes) bytes; skipped"
                    )
                )
            }
        }
        if filled > start && !skipping { try await emit(start, filled, endOffset: storageOffset + filled) }
    }

    /// Reads up to `count` bytes (fewer only at the end of the file), as `FileHandle.read(upToCount:)` does.
    private static func readChunk(
        _ handle: FileHandle,
        into storage: UnsafeMutableRawBufferPointer,
        at offset: Int,
        count: Int,
        path: String
    ) throws -> Int {
        var total = 0
        while total < count {
            let result = read(handle.fileDescriptor, storage.baseAddress! + offset + total, count - total)
            if result < 0 {
                if errno == EINTR { continue }
                throw OpenError(path: path, reason: String(cString: strerror(errno)))
            }
            if result == 0 { break }
            total += result
        }
        return total
    }

    private static func firstNewline(_ storage: UnsafeMutableRawBufferPointer, from: Int, to: Int) -> Int? {
        guard from < to else { return nil }
        guard let found = memchr(storage.baseAddress! + from, Int32(UInt8(ascii: "\n")), to - from) else { return nil }
        return storage.baseAddress!.distance(to: found)
    }
}

/// A byte buffer owned by one reading loop and reused from line to line; it only grows.
struct ReusedBytes {
    private(set) var storage: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        storage = .allocate(byteCount: capacity, alignment: 8)
    }

    /// Makes room for `count` bytes, keeping the first `keeping` bytes.
    mutating func reserve(_ count: Int, keeping: Int = 0) {
        guard count > storage.count else { return }
        let grown = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, storage.count * 2), alignment: 8)
        if keeping > 0 {
            grown.baseAddress!.copyMemory(from: storage.baseAddress!, byteCount: keeping)
        }
        storage.deallocate()
        storage = grown
    }

    func deallocate() {
        storage.deallocate()
    }
}
