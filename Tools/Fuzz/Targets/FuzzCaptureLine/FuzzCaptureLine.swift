import FuzzSupport
import SortgateIngest

/// Capture files: the owning line parser (`CaptureRecord(jsonLine:)`) on the whole input as one
/// line, and both file readers (`forEachLine`, and `forEachLineView` with its allocation-free
/// `CaptureLineParser`) on the input as a file of lines. A line the view reader accepts is
/// copied out with `record()`, which reads every part it points at.
let folder = ScratchFolder(label: "capture")

func fuzzCaptureLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? CaptureRecord(jsonLine: bytes, file: "fuzz", line: 1)
    let path = folder.write(bytes, to: "capture.jsonl")
    runBlocking {
        // Small maximum line length, so that the skip-a-long-line path is reached too.
        for reader in [CaptureReader(path: path), CaptureReader(path: path, maximumLineBytes: 64)] {
            try? await reader.forEachLineView({ view in _ = view.record() }, failed: { _ in })
            try? await reader.forEachLine { _ in }
        }
    }
    return 0
}
