import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP listener on a free 127.0.0.1 port that accepts one connection and records the first bytes
/// the client sends, without answering. It shows what a client puts on the wire before any server
/// reply: a TLS client must open with a TLS handshake record (0x16), never with a plaintext MQTT
/// CONNECT (0x10).
///
/// `@unchecked Sendable`: `received` is guarded by `lock`; the listener is immutable.
public final class ByteRecordingListener: @unchecked Sendable {
    private let listener: LoopbackListener
    private let lock = NSLock()
    private var bytes: [UInt8] = []

    public init() throws {
        listener = try LoopbackListener(backlog: 4)
        let thread = Thread { [self] in
            acceptAndRecord()
        }
        thread.start()
    }

    deinit {
        close()
    }

    public var port: Int {
        listener.port
    }

    /// The bytes received so far on the first accepted connection.
    public var received: [UInt8] {
        lock.withLock { bytes }
    }

    /// Stops listening; the recording thread ends.
    public func close() {
        listener.close()
    }

    private func acceptAndRecord() {
        guard let connection = listener.accept() else {
            return
        }
        defer { Glibc.close(connection) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        // Read for a short while: the first flight of bytes is all this is for.
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        _ = setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while true {
            let count = buffer.withUnsafeMutableBytes { read(connection, $0.baseAddress, $0.count) }
            guard count > 0 else {
                return
            }
            lock.withLock { bytes += buffer[0..<count] }
            if lock.withLock({ bytes.count >= 4096 }) || listener.isClosed {
                return
            }
        }
    }
}
