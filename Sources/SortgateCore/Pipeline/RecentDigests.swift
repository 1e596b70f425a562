/// Remembers the digests of the last `capacity` messages of one source, to recognise a message
/// delivered twice.
///
/// MQTT QoS 1 is at-least-once: after a broker restart or a lost PUBACK, the broker sends a
/// message again, and libmosquitto does not tell us whether it is a redelivery (the DUP flag is
/// not exposed). Reader messages carry their own high-resolution timestamp (and Zebra an event
/// number), so two byte-identical messages from the same reader on the same topic are the same
/// message. Redeliveries arrive shortly after the original, so a window of recent messages is
/// enough; memory is fixed (`capacity` digests in a ring plus a set).
public struct RecentDigests: Sendable {
    public let capacity: Int
    private var ring: [UInt64]
    private var next = 0
    private var members: Set<UInt64>

    public init(capacity: Int = 4096) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.ring = []
        self.members = Set(minimumCapacity: capacity)
        ring.reserveCapacity(capacity)
    }

    /// Records `digest`; returns false when it is among the last `capacity` recorded.
    public mutating func insert(_ digest: UInt64) -> Bool {
        guard !members.contains(digest) else { return false }
        if ring.count < capacity {
            ring.append(digest)
        } else {
            members.remove(ring[next])
            ring[next] = digest
        }
        next = (next + 1) % capacity
        members.insert(digest)
        return true
    }
}
