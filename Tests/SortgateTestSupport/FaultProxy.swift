import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A userspace TCP proxy on 127.0.0.1 between a client (the gateway) and a real server (mosquitto,
/// a Modbus TCP server) that injects network faults on command, mid-stream:
///
/// - `cut()`: closes every open connection at once (both sides), as a broken cable does;
/// - `stall(_:)`: stops forwarding in both directions (bytes wait in the proxy), as a congested
///   or half-dead link does, until `resume()`;
/// - `garbleNext(bytes:)`: flips the bits of the next `bytes` bytes going server → client, in the
///   middle of whatever packet they belong to;
/// - `truncateNext(after:)`: forwards `after` more server → client bytes, then cuts the connection
///   in the middle of a packet.
///
/// New connections are accepted and forwarded as long as the proxy runs (a reconnecting client
/// gets through again). One thread accepts; each connection has one thread that polls both
/// sockets and copies, so faults apply between two reads.
public final class FaultProxy: Sendable {
    public let port: Int
    public let upstreamPort: Int
    private let listener: Int32
    private let state = Mutex(State())
    private let stopped = Atomic<Bool>(false)

    struct State {
        var connections: [(client: Int32, server: Int32)] = []
        var stalled = false
        var garbleBytes = 0
        var truncateAfter: Int?
        var cuts = 0
        var accepted = 0
    }

    /// Starts a proxy to 127.0.0.1:`upstreamPort`.
    public init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        (listener, port) = try listenOnLoopback(backlog: 16)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "fault-proxy-accept"
        thread.start()
    }

    deinit { stop() }

    /// Connections accepted so far.
    public var accepted: Int { state.withLock { $0.accepted } }

    /// Closes every open connection now (the proxy keeps accepting new ones).
    public func cut() {
        let connections = state.withLock { state in
            state.cuts += 1
            defer { state.connections.removeAll() }
            return state.connections
        }
        for connection in connections {
            shutdown(connection.client, Int32(SHUT_RDWR))
            shutdown(connection.server, Int32(SHUT_RDWR))
        }
    }

    /// Stops forwarding in both directions until `resume()`.
    public func stall() { state.withLock { $0.stalled = true } }

    /// Forwards again what waited during a stall.
    public func resume() { state.withLock { $0.stalled = false } }

    /// Flips every bit of the next `bytes` bytes from the server to the client.
    public func garbleNext(bytes: Int) { state.withLock { $0.garbleBytes = bytes } }

    /// Forwards `after` more bytes from the server to the client, then cuts the connection.
    public func truncateNext(after: Int) { state.withLock { $0.truncateAfter = after } }

    /// Stops accepting and closes every connection.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        cut()
    }

    private func acceptLoop() {
        while !stopped.load(ordering: .acquiring) {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            let server = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopbackAddress(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(server, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(client)
                close(server)
                continue
            }
            state.withLock { state in
                state.accepted += 1
                state.connections.append((client, server))
            }
            let thread = Thread { [self] in pump(client: client, server: server) }
            thread.name = "fault-proxy-pump"
            thread.start()
        }
    }

    /// Copies between the two sockets until either side closes or a fault ends the connection.
    private func pump(client: Int32, server: Int32) {
        defer {
            state.withLock { $0.connections.removeAll { $0.client == client } }
            close(client)
            close(server)
        }
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while !stopped.load(ordering: .acquiring) {
            if state.withLock({ $0.stalled }) {
                usleep(5_000)
                continue
            }
            var descriptors = [
                pollfd(fd: client, events: Int16(POLLIN), revents: 0),
                pollfd(fd: server, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, 20)
            if ready < 0 { return }
            if ready == 0 { continue }
            for (index, descriptor) in descriptors.enumerated() where descriptor.revents != 0 {
                let from = index == 0 ? client : server
                let to = index == 0 ? server : client
                var count = buffer.withUnsafeMutableBytes { read(from, $0.baseAddress, $0.count) }
                if count <= 0 { return }
                var cutAfterWrite = false
                if from == server {
                    state.withLock { state in
                        let garbled = min(state.garbleBytes, count)
                        for offset in 0..<garbled { buffer[offset] ^= 0xFF }
                        state.garbleBytes -= garbled
                        if let after = state.truncateAfter {
                            if after < count {
                                count = after
                                cutAfterWrite = true
                                state.truncateAfter = nil
                            } else {
                                state.truncateAfter = after - count
                            }
                        }
                    }
                }
                var written = 0
                while written < count {
                    let result = buffer.withUnsafeBytes { write(to, $0.baseAddress! + written, count - written) }
                    if result <= 0 { return }
                    written += result
                }
                if cutAfterWrite { return }
            }
        }
    }
}
