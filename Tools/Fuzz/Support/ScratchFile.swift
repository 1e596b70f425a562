import Foundation

/// A file in a private temporary folder that a fuzz target rewrites with each input, for the
/// parsers whose public entry point takes a path (capture reader, config loader, manifest).
///
/// One folder per process, so that parallel fuzzing jobs (`-jobs=N`) never share a file.
public final class ScratchFolder: @unchecked Sendable {
    // Unchecked: a fuzz target calls into it from libFuzzer's single thread only.
    public let path: String

    public init(label: String) {
        path = NSTemporaryDirectory() + "/sortgate-fuzz-\(label)-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Writes `bytes` to `name` inside the folder, replacing it, and returns its full path.
    @discardableResult
    public func write(_ bytes: UnsafeRawBufferPointer, to name: String) -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        precondition(fd >= 0, "cannot create the scratch file \(file): errno \(errno)")
        var done = 0
        while done < bytes.count {
            let written = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            precondition(written > 0, "cannot write the scratch file \(file): errno \(errno)")
            done += written
        }
        close(fd)
        return file
    }

    /// Copies a file of the repository (`Devices/…`) into the folder, once at start-up.
    public func copy(_ source: String, to name: String) {
        let target = path + "/" + name
        try? FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try? FileManager.default.removeItem(atPath: target)
        do {
            try FileManager.default.copyItem(atPath: source, toPath: target)
        } catch {
            fatalError("fuzz set-up: cannot copy \(source): \(error)")
        }
    }
}

/// The repository's root, found from this source file (the fuzz binaries run from anywhere).
public let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<4 { url.deleteLastPathComponent() }  // Support/ScratchFile.swift → Tools/Fuzz → root
    return url.path
}()
