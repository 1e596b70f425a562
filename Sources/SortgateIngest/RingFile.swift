import Foundation
public import SortgateCore

#if canImport(Glibc)
import Glibc
#endif

/// The file the live gateway's event ring lives in, mapped `MAP_SHARED`: the one owner of the
/// file descriptor and the mapping, unmapped when released (the ring made on it keeps it alive
/// as its region's owner) or by `close()`.
///
/// A shared mapping of a regular file keeps its pages in the kernel's page cache, so when the
/// process is killed (`kill -9`, a crash, the OOM killer) every byte a producer stored, and every
/// sequence number, is still in the file for the next start. Nothing here calls `msync`: the
/// kernel writes the pages back on its own schedule, which is what survives a *power loss* (see
/// README, "Reliability").
///
/// `@unchecked Sendable`: the descriptor and mapping are immutable after `init` and released
/// only by `deinit`, or by `close()`, which a caller uses only once no ring uses the mapping.
public final class RingFile: @unchecked Sendable {
    /// Why the ring file could not be opened, created or mapped.
    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var errno: Int32
        public var description: String {
            "ring file '\(path)': \(operation) failed: \(String(cString: strerror(errno)))"
        }
    }

    public let path: String
    /// The mapped bytes: the whole file.
    public let region: UnsafeMutableRawBufferPointer
    private let descriptor: Int32
    private var closed = false

    /// Opens the file at `path` (created when missing) and maps its first `size` bytes, growing a
    /// shorter file with zeros and allocating all of its blocks. `size` nil maps the file as long
    /// as it is (an existing ring of another configuration).
    public init(path: String, size: Int?) throws(Failure) {
        self.path = path
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(path: path, operation: "open", errno: errno) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let error = errno
            Glibc.close(descriptor)
            throw Failure(path: path, operation: "stat", errno: error)
        }
        let length = size ?? Int(status.st_size)
        // Every block is allocated now: a page of a shared mapping that the filesystem cannot
        // back when it is first written kills the process with SIGBUS (a full disk), whereas
        // this fails at start with ENOSPC, saying so.
        if length > 0 {
            let error = posix_fallocate(descriptor, 0, off_t(length))
            if error != 0 {
                Glibc.close(descriptor)
                throw Failure(path: path, operation: "allocating \(length) bytes", errno: error)
            }
        }
        guard length > 0,
            let base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0), base != MAP_FAILED
        else {
            let error = length > 0 ? errno : EINVAL
            Glibc.close(descriptor)
            throw Failure(path: path, operation: "mmap of \(length) bytes", errno: error)
        }
        self.descriptor = descriptor
        region = UnsafeMutableRawBufferPointer(start: base, count: length)
    }

    /// The ring configuration recorded in the file, or nil when it holds no ring.
    public var storedConfiguration: EventRing.Configuration? {
        EventRing.storedConfiguration(in: UnsafeRawBufferPointer(region))
    }

    /// Unmaps and closes the file now; no ring may use the mapping any more.
    public func close() {
        guard !closed else { return }
        closed = true
        munmap(region.baseAddress, region.count)
        Glibc.close(descriptor)
    }

    deinit {
        close()
    }
}
