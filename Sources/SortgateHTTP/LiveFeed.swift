import Synchronization

/// The fan-out of the live stream: every committed batch goes to every connected client, and a
/// slow client never holds up the one publishing.
///
/// `publish` runs on the batch writer's thread right after a commit, so that a client never sees
/// what SQLite does not hold. It never waits: each client has a bounded buffer of `clientBuffer`
/// deliveries (one per batch, whatever its size), and a client whose buffer is full is closed and
/// counted in `droppedClients` (an `EventSource` reconnects by itself and reloads what it shows).
/// Dropping also calls the client's `onDrop`, which closes its connection: a client that stopped
/// reading leaves its writer suspended on a full socket, and only closing the socket frees it.
/// With no client connected, `publish` returns before building any event.
public final class LiveFeed: Sendable {
    /// What one client receives.
    public enum Delivery: Sendable {
        case events([LiveEvent])
        /// Nothing happened for a while: the stream writes a comment, which also finds out a
        /// client that went away.
        case keepalive
    }

    /// Deliveries a client may have waiting before it is dropped.
    public let clientBuffer: Int
    private struct State {
        var clients: [Int: Client] = [:]
        var nextID = 0
        var droppedClients: UInt64 = 0
        var closed = false
    }
    private let state = Mutex(State())
    private struct Client {
        var continuation: AsyncStream<Delivery>.Continuation
        var onDrop: @Sendable () -> Void
    }

    public init(clientBuffer: Int = 256) {
        self.clientBuffer = max(1, clientBuffer)
    }

    /// Clients connected now.
    public var clientCount: Int { state.withLock { $0.clients.count } }

    /// Clients closed because they did not keep up, since start.
    public var droppedClients: UInt64 { state.withLock { $0.droppedClients } }

    /// A new client's deliveries; it ends when the client is dropped or the feed closes, and then
    /// `onDrop` is called (it closes the client's connection). Nil once the feed is closed (the
    /// server is stopping).
    public func subscribe(onDrop: @escaping @Sendable () -> Void = {}) -> AsyncStream<Delivery>? {
        let (stream, continuation) = AsyncStream.makeStream(
            of: Delivery.self,
            bufferingPolicy: .bufferingOldest(clientBuffer)
        )
        let id: Int? = state.withLock { state in
            guard !state.closed else { return nil }
            defer { state.nextID += 1 }
            state.clients[state.nextID] = Client(continuation: continuation, onDrop: onDrop)
            return state.nextID
        }
        guard let id else { return nil }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.clients.removeValue(forKey: id) }
        }
        return stream
    }

    /// Hands `events` (built only when a client is connected) to every client.
    public func publish(_ events: () -> [LiveEvent]) {
        let clients = state.withLock { Array($0.clients) }
        guard !clients.isEmpty else { return }
        let built = events()
        guard !built.isEmpty else { return }
        deliver(.events(built), to: clients)
    }

    /// Sends every client a keepalive.
    public func keepalive() {
        deliver(.keepalive, to: state.withLock { Array($0.clients) })
    }

    /// Ends every client's stream and refuses new ones (the server is stopping).
    public func close() {
        let clients = state.withLock { state in
            state.closed = true
            defer { state.clients.removeAll() }
            return Array(state.clients.values)
        }
        for client in clients {
            client.continuation.finish()
            client.onDrop()
        }
    }

    private func deliver(_ delivery: Delivery, to clients: [(key: Int, value: Client)]) {
        for (id, client) in clients {
            guard case .dropped = client.continuation.yield(delivery) else { continue }
            let removed = state.withLock { state -> Bool in
                guard state.clients.removeValue(forKey: id) != nil else { return false }
                state.droppedClients += 1
                return true
            }
            if removed {
                client.continuation.finish()
                client.onDrop()
            }
        }
    }
}
