/// The arrival times (ns) of the messages ingested since the last flush, for the arrival →
/// committed latency: appended on the consumer thread, handed over whole at each flush.
///
/// The buffer keeps one size for the life of the gateway. Handing it over replaces it with a
/// fresh buffer of `capacity`, rather than `removeAll(keepingCapacity: true)` on a buffer just
/// shared with the batch: that allocates the copy by the old buffer's *usable* size, which malloc
/// rounds up to a page for a buffer this large, so it grew by 4 KiB at every flush tick, idle or
/// not, for as long as the gateway ran (20 MB per allocation after 8 minutes, mapped and unmapped
/// ten times a second). An idle tick hands over nothing and allocates nothing.
struct PendingArrivals {
    /// Room for this many arrivals between flushes without growing.
    let capacity: Int
    private var times: [Int64]

    init(capacity: Int) {
        self.capacity = capacity
        times = Self.buffer(capacity)
    }

    var count: Int { times.count }

    /// The buffer's room; `capacity` (rounded up by the allocator) unless a batch outgrew it.
    var reservedCapacity: Int { times.capacity }

    mutating func append(_ arrival: Int64) {
        times.append(arrival)
    }

    /// What was appended since the last call; afterwards empty, with `capacity` room again.
    mutating func take() -> [Int64] {
        guard !times.isEmpty else { return [] }
        var taken = Self.buffer(capacity)
        swap(&taken, &times)
        return taken
    }

    private static func buffer(_ capacity: Int) -> [Int64] {
        var buffer: [Int64] = []
        buffer.reserveCapacity(capacity)
        return buffer
    }
}
