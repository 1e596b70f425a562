import Synchronization

/// The bounded multi-producer / single-consumer ring of raw device messages between the drivers
/// (libmosquitto network threads, Modbus line threads) and the pipeline (one consumer thread).
///
/// ## Memory
/// One buffer of `slots` fixed-size slots of `slotSize` bytes, allocated once at start, plus a
/// trailing *mirror area* of `maxSlotsPerMessage - 1` slots: a message (a 24-byte header, the
/// topic bytes, then the payload bytes or an encoded Modbus poll) occupies ⌈size / slotSize⌉
/// consecutive slots, and a message that starts near the end of the ring simply runs on into the
/// mirror area, so it is never split and the consumer reads it as one contiguous buffer. Memory is
/// therefore `(slots + maxSlotsPerMessage - 1) × slotSize` bytes plus 16 bytes per slot of
/// bookkeeping, whatever the traffic: the defaults (65 536 slots of 256 bytes, messages up to
/// 1 MiB) take 16 MiB of slots, a 1 MiB mirror area and 1 MiB of sequence numbers. A message
/// larger than `maxMessageBytes` is refused (`.oversize`, counted for its source); the caller
/// decides what to do instead (the MQTT source puts in its first 4 KiB, marked `.truncated`).
///
/// ## Protocol
/// Every slot has a sequence number (Vyukov's bounded queue): slot `p mod slots` is free for
/// position `p` when its number is `p`, holds a published message starting at `p` when it is
/// `p + 1`, and becomes free for the next lap (`p + slots`) when released. A producer reads the
/// tail `t`, checks that the `n` slots it needs are free for `t … t+n-1`, claims them with one
/// compare-and-swap of the tail, copies the message in, and publishes it by storing `t + 1`
/// into the first slot's number (release ordering; the message's slot count, source and policy
/// sit in a per-slot atomic word beside it). The consumer claims a whole batch of published
/// messages with one compare-and-swap of the head, hands each to its closure *in place*
/// (borrowed bytes, valid only during the call) and releases each message's slots as soon as the
/// closure returned. Nothing is copied but the one copy into the ring, and nothing is allocated
/// per message.
///
/// ## Full policy, per source
/// - `block` (the default): the producer retries a little, then parks on the producer parker
///   until the consumer released slots (or the ring was closed). It never loses a message. On the
///   libmosquitto network thread this stops reading the socket, so backpressure reaches the
///   broker (which queues up to its `max_queued_messages`).
/// - `dropOldest`: the producer never waits. It tries to evict the oldest published message by
///   moving the head past it with a compare-and-swap, but only when that message belongs to a
///   `dropOldest` source too (counted as dropped for *that* source), then retries. When the oldest
///   message is a `block` source's, is still being written, or is already being consumed, its own
///   new message is dropped instead (counted for its source). So a `dropOldest` source never
///   costs a `block` source a message, and every message of a source is either received by the
///   consumer or counted in `dropped(source:)`.
///
/// ## Waiting and waking
/// The consumer parks (with a timeout, so it still runs its periodic work) when the ring is
/// empty, after raising a `consumerSleeping` flag; a producer checks that flag after publishing
/// (one sequentially consistent fence and a load: a few nanoseconds) and only then pays for a
/// wake-up. Blocked producers count themselves in `waitingProducers`, which the consumer checks
/// after releasing slots. The parkers' epochs make both hand-offs free of lost wake-ups (see
/// `EventRingParker`); the timeouts are only a safety net.
///
/// ## Close
/// `close()` makes every later push return `.closed` and wakes blocked producers (which then
/// return `.closed`: their message is not taken). The consumer keeps draining until the ring is
/// empty and no producer is between its check of the flag and its publication, then its
/// `consume` returns `false`.
///
/// ## Costs
/// A push is one CAS on the shared tail (retried under contention), a `memcpy` of the message, two
/// atomic stores, a fence and one load; a consumed message costs one atomic load and `n` stores
/// (its release), and a batch one CAS. Producers contend only on the tail's cache line, the
/// consumer never takes a lock. Order is preserved per producer (positions are claimed in
/// order); messages of different producers are ordered by their claim.
public final class EventRing: @unchecked Sendable {
    // @unchecked: every field shared between threads is an atomic, or raw memory whose ownership
    // is handed over by the slot sequence numbers (the protocol above).

    /// The size of the ring; see "Memory".
    public struct Configuration: Sendable, Hashable {
        /// Number of slots, a power of two (default 65 536; config `ring.slots`).
        public var slots: Int
        /// Bytes per slot, a multiple of 8 from 64 to 65 536 (default 256; config `ring.slot_size`).
        public var slotSize: Int
        /// The largest message taken, topic and payload included (default 1 MiB; config
        /// `ring.max_message`, at least `max_payload` + 1 KiB). At most `slots × slotSize` minus
        /// the header.
        public var maxMessageBytes: Int

        public init(slots: Int = 65_536, slotSize: Int = 256, maxMessageBytes: Int = 1 << 20) {
            self.slots = slots
            self.slotSize = slotSize
            self.maxMessageBytes = maxMessageBytes
        }

        /// Why the configuration cannot make a ring, or nil.
        public var problem: String? {
            if slots < 2 || slots > 1 << 24 || slots & (slots - 1) != 0 {
                return "slots must be a power of two from 2 to 16777216, got \(slots)"
            }
            if slotSize < 64 || slotSize > 65_536 || slotSize % 8 != 0 {
                return "slot_size must be a multiple of 8 from 64 to 65536 bytes, got \(slotSize)"
            }
            if maxMessageBytes < 1 || maxMessageBytes + EventRing.headerSize > slots * slotSize {
                return "a message of \(maxMessageBytes) bytes does not fit in \(slots) slots of \(slotSize) bytes"
            }
            return nil
        }
    }

    /// What a producer does when the ring is full (see "Full policy").
    public enum Policy: UInt8, Sendable, Hashable {
        case block = 0
        case dropOldest = 1
    }

    /// What a message holds.
    public enum Kind: UInt8, Sendable, Hashable {
        /// An MQTT message: topic and payload bytes.
        case mqtt = 0
        /// A Modbus poll, encoded by its producer (see `ModbusPollEncoding` in SortgateIngest).
        case modbusPoll = 1
        /// An MQTT message too large to take: the body holds its first bytes, `originalLength` its size.
        case truncated = 2
    }

    /// The outcome of a push.
    public enum PushResult: Sendable, Hashable {
        /// The message is in the ring.
        case accepted
        /// A `dropOldest` source's new message was dropped (counted in `dropped(source:)`).
        case dropped
        /// The message is larger than `maxMessageBytes` (counted in `oversize(source:)`).
        case oversize
        /// The ring was closed; the message was not taken.
        case closed
    }

    /// One message, borrowed from the ring: its buffers are valid only during the consumer's closure.
    public struct Message {
        public let source: UInt16
        public let kind: Kind
        public let arrival: EventTime
        public let topic: UnsafeRawBufferPointer
        public let body: UnsafeRawBufferPointer
        /// For `.truncated`, the size of the message as received.
        public let originalLength: Int
    }

    /// Bytes of the header before each message's topic: arrival (8), topic length (4), body
    /// length (4), original length (4), kind (1), padding (3).
    public static let headerSize = 24

    public let configuration: Configuration
    public let slots: Int
    public let slotSize: Int
    /// The most slots one message may take.
    public let maxSlotsPerMessage: Int
    /// Number of sources (ids 0 ..< sourceCount), each with its own counters.
    public let sourceCount: Int

    private let mask: UInt64
    private let storage: UnsafeMutableRawPointer
    private let sequences: UnsafeMutablePointer<Atomic<UInt64>>
    /// Per first slot of a message: slot count (bits 0–31), source (32–47), policy (48).
    private let metas: UnsafeMutablePointer<Atomic<UInt64>>
    private let droppedCounts: UnsafeMutablePointer<Atomic<UInt64>>
    private let oversizeCounts: UnsafeMutablePointer<Atomic<UInt64>>
    private let head = Atomic<UInt64>(0)
    private let tail = Atomic<UInt64>(0)
    private let closedFlag = Atomic<Bool>(false)
    private let activeProducers = Atomic<Int>(0)
    private let waitingProducers = Atomic<Int>(0)
    private let consumerSleeping = Atomic<Bool>(false)
    private let highWaterSlots = Atomic<Int>(0)
    private let consumerParker: any EventRingParker
    private let producerParker: any EventRingParker

    /// Makes a ring; `configuration.problem` must be nil (config loading checks it).
    public init(
        configuration: Configuration = Configuration(),
        sources: Int,
        consumerParker: any EventRingParker,
        producerParker: any EventRingParker
    ) {
        precondition(configuration.problem == nil, configuration.problem ?? "")
        precondition(sources >= 0 && sources <= Int(UInt16.max) + 1)
        self.configuration = configuration
        slots = configuration.slots
        slotSize = configuration.slotSize
        maxSlotsPerMessage = (configuration.maxMessageBytes + Self.headerSize + slotSize - 1) / slotSize
        sourceCount = sources
        mask = UInt64(slots - 1)
        storage = UnsafeMutableRawPointer.allocate(
            byteCount: (slots + maxSlotsPerMessage - 1) * slotSize,
            alignment: 64
        )
        sequences = .allocate(capacity: slots)
        metas = .allocate(capacity: slots)
        for index in 0..<slots {
            (sequences + index).initialize(to: Atomic(UInt64(index)))
            (metas + index).initialize(to: Atomic(0))
        }
        droppedCounts = .allocate(capacity: max(sources, 1))
        oversizeCounts = .allocate(capacity: max(sources, 1))
        for index in 0..<max(sources, 1) {
            (droppedCounts + index).initialize(to: Atomic(0))
            (oversizeCounts + index).initialize(to: Atomic(0))
        }
        self.consumerParker = consumerParker
        self.producerParker = producerParker
    }

    deinit {
        storage.deallocate()
        sequences.deinitialize(count: slots)
        sequences.deallocate()
        metas.deinitialize(count: slots)
        metas.deallocate()
        droppedCounts.deinitialize(count: max(sourceCount, 1))
        droppedCounts.deallocate()
        oversizeCounts.deinitialize(count: max(sourceCount, 1))
        oversizeCounts.deallocate()
    }

    // MARK: - Producers

    /// Copies one MQTT message (or any topic + payload) into the ring; see "Full policy".
    @discardableResult
    public func push(
        source: UInt16,
        policy: Policy,
        arrival: EventTime,
        topic: UnsafeRawBufferPointer,
        payload: UnsafeRawBufferPointer,
        kind: Kind = .mqtt,
        originalLength: Int? = nil
    ) -> PushResult {
        push(
            source: source,
            policy: policy,
            kind: kind,
            arrival: arrival,
            topic: topic,
            bodyLength: payload.count,
            originalLength: originalLength ?? payload.count
        ) { destination in
            if let base = payload.baseAddress, payload.count > 0 {
                destination.baseAddress!.copyMemory(from: base, byteCount: payload.count)
            }
        }
    }

    /// Writes one message into the ring, the body by `writeBody` (given exactly `bodyLength`
    /// bytes of ring memory, called at most once, on the caller's thread).
    public func push(
        source: UInt16,
        policy: Policy,
        kind: Kind,
        arrival: EventTime,
        topic: UnsafeRawBufferPointer,
        bodyLength: Int,
        originalLength: Int,
        writeBody: (UnsafeMutableRawBufferPointer) -> Void
    ) -> PushResult {
        precondition(Int(source) < sourceCount, "source \(source) out of range 0..<\(sourceCount)")
        let size = Self.headerSize + topic.count + bodyLength
        guard size <= configuration.maxMessageBytes + Self.headerSize else {
            oversizeCounts[Int(source)].add(1, ordering: .relaxed)
            return .oversize
        }
        let count = UInt64((size + slotSize - 1) / slotSize)
        activeProducers.add(1, ordering: .sequentiallyConsistent)
        defer { activeProducers.subtract(1, ordering: .sequentiallyConsistent) }
        if closedFlag.load(ordering: .sequentiallyConsistent) { return .closed }
        var attempts = 0
        while true {
            let position = tail.load(ordering: .acquiring)
            switch room(at: position, count: count) {
            case .stale:
                continue
            case .free:
                guard
                    tail.weakCompareExchange(
                        expected: position,
                        desired: position + count,
                        ordering: .acquiringAndReleasing
                    ).exchanged
                else { continue }
                write(
                    at: position,
                    count: count,
                    source: source,
                    policy: policy,
                    kind: kind,
                    arrival: arrival,
                    topic: topic,
                    bodyLength: bodyLength,
                    originalLength: originalLength,
                    writeBody: writeBody
                )
                atomicMemoryFence(ordering: .sequentiallyConsistent)
                if consumerSleeping.load(ordering: .relaxed) { consumerParker.unparkAll() }
                return .accepted
            case .full:
                if closedFlag.load(ordering: .sequentiallyConsistent) { return .closed }
                switch policy {
                case .dropOldest:
                    attempts += 1
                    if evictOldest() { continue }
                    // The consumer may have made room since the tail was read.
                    if attempts < 64 && room(at: tail.load(ordering: .acquiring), count: count) != .full { continue }
                    droppedCounts[Int(source)].add(1, ordering: .relaxed)
                    return .dropped
                case .block:
                    attempts += 1
                    if attempts < 64 { continue }
                    waitForRoom(at: position, count: count)
                }
            }
        }
    }

    private enum Room { case free, full, stale }

    /// Whether the `count` slots from `position` are free for this lap.
    private func room(at position: UInt64, count: UInt64) -> Room {
        for offset in 0..<count {
            let slot = position + offset
            let sequence = sequences[Int(slot & mask)].load(ordering: .acquiring)
            if sequence == slot { continue }
            return sequence < slot ? .full : .stale
        }
        return .free
    }

    private func write(
        at position: UInt64,
        count: UInt64,
        source: UInt16,
        policy: Policy,
        kind: Kind,
        arrival: EventTime,
        topic: UnsafeRawBufferPointer,
        bodyLength: Int,
        originalLength: Int,
        writeBody: (UnsafeMutableRawBufferPointer) -> Void
    ) {
        let index = Int(position & mask)
        let start = storage + index * slotSize
        start.storeBytes(of: arrival.nanoseconds, as: Int64.self)
        start.storeBytes(of: UInt32(topic.count), toByteOffset: 8, as: UInt32.self)
        start.storeBytes(of: UInt32(bodyLength), toByteOffset: 12, as: UInt32.self)
        start.storeBytes(of: UInt32(clamping: originalLength), toByteOffset: 16, as: UInt32.self)
        start.storeBytes(of: kind.rawValue, toByteOffset: 20, as: UInt8.self)
        if let base = topic.baseAddress, topic.count > 0 {
            (start + Self.headerSize).copyMemory(from: base, byteCount: topic.count)
        }
        writeBody(UnsafeMutableRawBufferPointer(start: start + Self.headerSize + topic.count, count: bodyLength))
        let meta = count | UInt64(source) << 32 | UInt64(policy.rawValue) << 48
        metas[index].store(meta, ordering: .relaxed)
        sequences[index].store(position + 1, ordering: .releasing)
    }

    /// Moves the head past the oldest published message when it belongs to a `dropOldest` source,
    /// counting it as dropped for that source. True when the caller should look again (evicted, or
    /// the head moved meanwhile); false when the oldest message may not be evicted.
    private func evictOldest() -> Bool {
        let position = head.load(ordering: .acquiring)
        let index = Int(position & mask)
        guard sequences[index].load(ordering: .acquiring) == position + 1 else {
            return head.load(ordering: .acquiring) != position
        }
        let meta = metas[index].load(ordering: .relaxed)
        guard meta >> 48 & 1 == UInt64(Policy.dropOldest.rawValue) else {
            return head.load(ordering: .acquiring) != position
        }
        let count = meta & 0xFFFF_FFFF
        if head.compareExchange(expected: position, desired: position + count, ordering: .acquiringAndReleasing)
            .exchanged
        {
            droppedCounts[Int(meta >> 32 & 0xFFFF)].add(1, ordering: .relaxed)
            release(at: position, count: count)
            wakeProducers()
        }
        return true
    }

    /// Parks a `block` producer until the consumer released slots, the ring closed, or 10 ms passed.
    private func waitForRoom(at position: UInt64, count: UInt64) {
        waitingProducers.add(1, ordering: .sequentiallyConsistent)
        defer { waitingProducers.subtract(1, ordering: .sequentiallyConsistent) }
        let epoch = producerParker.epoch
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        guard room(at: position, count: count) == .full, tail.load(ordering: .acquiring) == position,
            !closedFlag.load(ordering: .sequentiallyConsistent)
        else { return }
        producerParker.park(observed: epoch, timeout: .milliseconds(10))
    }

    private func release(at position: UInt64, count: UInt64) {
        for offset in 0..<count {
            let slot = position + offset
            sequences[Int(slot & mask)].store(slot + UInt64(slots), ordering: .releasing)
        }
    }

    private func wakeProducers() {
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if waitingProducers.load(ordering: .relaxed) > 0 { producerParker.unparkAll() }
    }

    // MARK: - Consumer

    /// Hands up to `limit` messages to `body`, in order, waiting up to `timeout` for the first
    /// one; each message's slots are released as soon as `body` returned for it. Returns false
    /// once the ring is closed and drained (the consumer is done), else true (possibly having
    /// consumed nothing when the timeout passed). Only one thread may consume.
    public func consume(limit: Int, timeout: Duration, _ body: (borrowing Message) -> Void) -> Bool {
        var waited = false
        while true {
            let position = head.load(ordering: .acquiring)
            var end = position
            var taken = 0
            while taken < limit {
                let index = Int(end & mask)
                guard sequences[index].load(ordering: .acquiring) == end + 1 else { break }
                end += metas[index].load(ordering: .relaxed) & 0xFFFF_FFFF
                taken += 1
            }
            if taken == 0 {
                if closedFlag.load(ordering: .sequentiallyConsistent)
                    && activeProducers.load(ordering: .sequentiallyConsistent) == 0
                    && tail.load(ordering: .sequentiallyConsistent) == head.load(ordering: .sequentiallyConsistent)
                {
                    return false
                }
                if waited { return true }
                waited = true
                sleep(timeout: closedFlag.load(ordering: .relaxed) ? .milliseconds(1) : timeout, at: position)
                continue
            }
            let depth = Int(tail.load(ordering: .relaxed) &- position)
            if depth > highWaterSlots.load(ordering: .relaxed) { highWaterSlots.store(depth, ordering: .relaxed) }
            guard
                head.compareExchange(expected: position, desired: end, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            var current = position
            var lastWake = position
            while current != end {
                let index = Int(current & mask)
                let count = metas[index].load(ordering: .relaxed) & 0xFFFF_FFFF
                let start = UnsafeRawPointer(storage + index * slotSize)
                let topicLength = Int(start.load(fromByteOffset: 8, as: UInt32.self))
                let bodyLength = Int(start.load(fromByteOffset: 12, as: UInt32.self))
                let message = Message(
                    source: UInt16(truncatingIfNeeded: metas[index].load(ordering: .relaxed) >> 32),
                    kind: Kind(rawValue: start.load(fromByteOffset: 20, as: UInt8.self)) ?? .mqtt,
                    arrival: EventTime(nanoseconds: start.load(as: Int64.self)),
                    topic: UnsafeRawBufferPointer(start: start + Self.headerSize, count: topicLength),
                    body: UnsafeRawBufferPointer(start: start + Self.headerSize + topicLength, count: bodyLength),
                    originalLength: Int(start.load(fromByteOffset: 16, as: UInt32.self))
                )
                body(message)
                release(at: current, count: count)
                current += count
                // Blocked producers are woken every 32 slots freed (and at the end of the batch), not
                // for every message: a wake-up takes the parker's lock.
                if current &- lastWake >= 32 && waitingProducers.load(ordering: .relaxed) > 0 {
                    lastWake = current
                    producerParker.unparkAll()
                }
            }
            wakeProducers()
            return true
        }
    }

    /// Parks the consumer until a producer published, or `timeout`.
    private func sleep(timeout: Duration, at position: UInt64) {
        consumerSleeping.store(true, ordering: .sequentiallyConsistent)
        let epoch = consumerParker.epoch
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sequences[Int(position & mask)].load(ordering: .acquiring) != position + 1
            && head.load(ordering: .acquiring) == position
        {
            consumerParker.park(observed: epoch, timeout: timeout)
        }
        consumerSleeping.store(false, ordering: .relaxed)
    }

    // MARK: - Lifecycle and counters

    /// Stops taking messages and wakes everyone; the consumer still drains what was published.
    public func close() {
        closedFlag.store(true, ordering: .sequentiallyConsistent)
        producerParker.unparkAll()
        consumerParker.unparkAll()
    }

    public var isClosed: Bool { closedFlag.load(ordering: .sequentiallyConsistent) }

    /// Messages of `source` dropped so far (evicted, or new ones that found no room).
    public func dropped(source: UInt16) -> UInt64 {
        droppedCounts[Int(source)].load(ordering: .relaxed)
    }

    /// Messages of `source` refused as larger than `maxMessageBytes` so far.
    public func oversize(source: UInt16) -> UInt64 {
        oversizeCounts[Int(source)].load(ordering: .relaxed)
    }

    /// All sources' drops.
    public var droppedTotal: UInt64 {
        (0..<sourceCount).reduce(0) { $0 + droppedCounts[$1].load(ordering: .relaxed) }
    }

    /// Slots claimed by producers and not yet claimed by the consumer now, and the most the
    /// consumer found waiting when it took a batch.
    public var depth: (current: Int, highWater: Int) {
        let current = Int(tail.load(ordering: .relaxed) &- head.load(ordering: .relaxed))
        return (max(0, min(current, slots)), highWaterSlots.load(ordering: .relaxed))
    }
}
