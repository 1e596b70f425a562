import Glibc
import Synchronization

/// Standard error as a ``LogLineOutput``: each line goes out in one `write(2)` (more only when the
/// kernel takes part of it), under a lock, so lines from concurrent loggers never mix; nothing is
/// buffered, so a crash loses no line already logged.
public final class StandardErrorLines: LogLineOutput {
    public static let shared = StandardErrorLines()

    private let lock = Mutex(())

    private init() {}

    public func writeLine(_ line: String) {
        var bytes = Array(line.utf8)
        bytes.append(UInt8(ascii: "\n"))
        lock.withLock { _ in
            bytes.withUnsafeBytes { buffer in
                var offset = 0
                while offset < buffer.count {
                    let written = write(STDERR_FILENO, buffer.baseAddress! + offset, buffer.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        return  // Standard error is gone: there is nowhere left to say so.
                    }
                    offset += written
                }
            }
        }
    }
}
