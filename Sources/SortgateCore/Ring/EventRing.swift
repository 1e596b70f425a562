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
/// `EventRingParker`); the timeouts are only a safety net. At a low rate a wake-up per message
/// would cost both threads more than the message itself: a consumer that just took a few
/// messages can `linger(for:)` a few milliseconds without raising the flag, and then takes what
/// came meanwhile in one go, while the producers publish without waking anyone.
///
/// ## Durability: positions, retention and recovery
/// Every message has a *position*: the ring position of its first slot, counted from the ring's
/// creation and never reused (64 bits; the slot is `position mod slots`). Positions increase in
/// claim order, so "every message below position `p`" is a precise statement about what the
/// consumer has seen, and the live gateway stores such a `p` in the database transaction that
/// holds the effects of those messages.
///
/// The ring's memory comes from its creator: an anonymous buffer (replay, tests, benchmarks) or
/// a caller-provided region, which the live gateway maps from a file with `MAP_SHARED` so that
/// the kernel keeps the slots, sequence numbers and tail when the process is killed. The region
/// starts with a header (format, geometry, head, tail, released position) followed by the
/// sequence numbers, the per-message words and the slots (`byteCount(for:)` bytes in all).
///
/// With `Retention.untilConsumed` a message's slots are freed as soon as the consumer's closure
/// returned. With `Retention.untilReleased` they are kept until `release(upTo:)`, which the
/// gateway calls once the batch holding their effects (and every deferred read count) committed.
/// Producers therefore wait for *commits*, not for processing: the ring must hold the traffic of
/// one commit cycle, and the consumer forces a complete batch when half of it is retained.
///
/// After a crash, `recover(from:history:_:)` hands every published message from the stored
/// position up to the tail to its closure, in position order; a slot that a producer claimed but
/// never published (killed while copying: its sequence number still says "free for this lap") is
/// skipped and counted as torn. Before them it hands over, as *history*, the committed messages
/// still intact in their slots just below the position (a quarter ring or so: freed slots keep
/// their bytes until a producer reuses them): the broker may deliver one of those again, its
/// acknowledgement lost with the process, and the consumer must recognise it. `resume()` then
/// frees what was recovered and goes on at the tail, keeping that history for the next crash;
/// `reset(startingAt:sourceTag:)` formats a ring afresh (a new file), its positions starting
/// above any the database holds, so that a stored position never goes backwards.
///
/// Retention moves backpressure from processing to commits: with `untilReleased`, a full ring
/// means "this many slots wait for a commit". The gateway frees them with a complete batch at
/// least every second and whenever half the ring is retained, so the ring must hold about one
/// second of traffic plus one commit (the default 65 536 slots hold ≈ 30 000 reader messages).
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

    /// When a consumed message's slots become free again (see "Durability").
    public enum Retention: Sendable, Hashable {
        /// As soon as the consumer's closure returned for it.
        case untilConsumed
        /// When `release(upTo:)` passes it (the live gateway: once its effects are committed).
        case untilReleased
    }

    /// What `recover(from:history:_:)` found between the stored position and the tail.
    public struct Recovery: Sendable, Hashable {
        /// The first position looked at (the stored position, or the oldest one still in the ring).
        public var start: UInt64
        /// The tail: where new messages go after `reset(startingAt:)`.
        public var end: UInt64
        /// Published messages handed to the closure.
        public var messages: Int
        /// Runs of claimed but never published slots (a producer killed while copying).
        public var tornMessages: Int

        public init(start: UInt64, end: UInt64, messages: Int, tornMessages: Int) {
            self.start = start
            self.end = end
            self.messages = messages
            self.tornMessages = tornMessages
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
        /// The ring position of the message's first slot (see "Durability").
        public let position: UInt64
        /// Slots the message occupies: the next message starts at `position + slotCount`.
        public let slotCount: Int
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

    /// Bytes of the region header before the sequence numbers: format (magic, version, geometry)
    /// on the first cache line, then head, tail and released position on a cache line each.
    public static let regionHeaderSize = 256
    private static let magic: UInt64 = 0x5347_5249_4E47_0001  // "SGRING", format 1
    private static let headOffset = 64
    private static let tailOffset = 128
    private static let releasedOffset = 192
    private static let historyOffset = 200

    /// The bytes a ring of `configuration` takes in a caller-provided region.
    public static func byteCount(for configuration: Configuration) -> Int {
        let maxSlots = (configuration.maxMessageBytes + headerSize + configuration.slotSize - 1) / configuration.slotSize
        return regionHeaderSize + configuration.slots * 16 + (configuration.slots + maxSlots - 1) * configuration.slotSize
    }

    /// The configuration recorded in a region's header, or nil when the region holds no ring
    /// (never formatted, another format, or torn while being formatted).
    public static func storedConfiguration(in region: UnsafeRawBufferPointer) -> Configuration? {
        guard region.count >= regionHeaderSize, region.load(as: UInt64.self) == magic else { return nil }
        let configuration = Configuration(
            slots: Int(region.load(fromByteOffset: 8, as: UInt32.self)),
            slotSize: Int(region.load(fromByteOffset: 12, as: UInt32.self)),
            maxMessageBytes: Int(region.load(fromByteOffset: 16, as: UInt64.self))
        )
        guard configuration.problem == nil, byteCount(for: configuration) <= region.count else { return nil }
        return configuration
    }

    public let configuration: Configuration
    public let slots: Int
    public let slotSize: Int
    /// The most slots one message may take.
    public let maxSlotsPerMessage: Int
    /// Number of sources (ids 0 ..< sourceCount), each with its own counters.
    public let sourceCount: Int

    /// When consumed slots are freed.
    public let retention: Retention

    private let mask: UInt64
    /// The whole region (header, sequences, metas, slots); owned (deallocated in deinit) when
    /// `ownsRegion`, else the caller's (a file mapping) and outliving the ring.
    private let region: UnsafeMutableRawPointer
    private let ownsRegion: Bool
    /// Whatever keeps a caller-provided region valid (a file mapping), kept alive with the ring.
    private let regionOwner: (any AnyObject & Sendable)?
    private let storage: UnsafeMutableRawPointer
    private let sequences: UnsafeMutablePointer<Atomic<UInt64>>
    /// Per first slot of a message: slot count (bits 0–31), source (32–47), policy (48).
    private let metas: UnsafeMutablePointer<Atomic<UInt64>>
    private let droppedCounts: UnsafeMutablePointer<Atomic<UInt64>>
    private let oversizeCounts: UnsafeMutablePointer<Atomic<UInt64>>
    // Head, tail and released position live in the region's header, so a ring in a shared file
    // mapping leaves them behind for `recover`.
    private let head: UnsafeMutablePointer<Atomic<UInt64>>
    private let tail: UnsafeMutablePointer<Atomic<UInt64>>
    /// Below this position every slot is free again (`Retention.untilReleased` only; written by
    /// the one thread calling `release(upTo:)`).
    private let released: UnsafeMutablePointer<Atomic<UInt64>>
    /// A message boundary below `released` from which released messages are kept for
    /// `recover`'s history (until producers reuse their slots); written by the releaser.
    private let historyStart: UnsafeMutablePointer<Atomic<UInt64>>
    private let closedFlag = Atomic<Bool>(false)
    private let activeProducers = Atomic<Int>(0)
    private let waitingProducers = Atomic<Int>(0)
    private let consumerSleeping = Atomic<Bool>(false)
    private let highWaterSlots = Atomic<Int>(0)
    private let consumerParker: any EventRingParker
    private let producerParker: any EventRingParker

    /// Makes a ring in anonymous memory, freeing slots as they are consumed (replay, tests,
    /// benchmarks); `configuration.problem` must be nil (config loading checks it).
    public convenience init(
        configuration: Configuration = Configuration(),
        sources: Int,
        consumerParker: any EventRingParker,
        producerParker: any EventRingParker
    ) {
        precondition(configuration.problem == nil, configuration.problem ?? "")
        let region = UnsafeMutableRawPointer.allocate(byteCount: Self.byteCount(for: configuration), alignment: 64)
        self.init(
            configuration: configuration,
            sources: sources,
            region: region,
            owned: true,
            owner: nil,
            format: .fresh(startingAt: 0),
            retention: .untilConsumed,
            consumerParker: consumerParker,
            producerParker: producerParker
        )
    }

    /// How a caller-provided region is taken.
    public enum Format: Sendable, Hashable {
        /// Formats the region: an empty ring whose first message gets position `startingAt`
        /// (see `reset(startingAt:sourceTag:)`).
        case fresh(startingAt: UInt64, sourceTag: UInt64 = 0)
        /// Takes the ring a previous process left in the region as it is (its header must match
        /// `configuration`: see `storedConfiguration(in:)`), for `recover(from:history:_:)`.
        /// Nothing may be pushed before `resume()` or `reset(startingAt:sourceTag:)`.
        case existing
    }

    /// Makes a ring in `region` (at least `byteCount(for:)` bytes, 64-byte aligned), which stays
    /// valid as long as `owner` lives (the ring keeps it): the live gateway's file mapping.
    public convenience init(
        configuration: Configuration,
        sources: Int,
        region: UnsafeMutableRawBufferPointer,
        owner: any AnyObject & Sendable,
        format: Format,
        retention: Retention,
        consumerParker: any EventRingParker,
        producerParker: any EventRingParker
    ) {
        precondition(configuration.problem == nil, configuration.problem ?? "")
        precondition(region.count >= Self.byteCount(for: configuration), "the ring's region is too small")
        self.init(
            configuration: configuration,
            sources: sources,
            region: region.baseAddress!,
            owned: false,
            owner: owner,
            format: format,
            retention: retention,
            consumerParker: consumerParker,
            producerParker: producerParker
        )
    }

    private init(
        configuration: Configuration,
        sources: Int,
        region: UnsafeMutableRawPointer,
        owned: Bool,
        owner: (any AnyObject & Sendable)?,
        format: Format,
        retention: Retention,
        consumerParker: any EventRingParker,
        producerParker: any EventRingParker
    ) {
        precondition(sources >= 0 && sources <= Int(UInt16.max) + 1)
        self.configuration = configuration
        self.retention = retention
        slots = configuration.slots
        slotSize = configuration.slotSize
        maxSlotsPerMessage = (configuration.maxMessageBytes + Self.headerSize + slotSize - 1) / slotSize
        sourceCount = sources
        mask = UInt64(slots - 1)
        self.region = region
        ownsRegion = owned
        regionOwner = owner
        head = (region + Self.headOffset).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        tail = (region + Self.tailOffset).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        released = (region + Self.releasedOffset).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        historyStart = (region + Self.historyOffset).bindMemory(to: Atomic<UInt64>.self, capacity: 1)
        sequences = (region + Self.regionHeaderSize).bindMemory(to: Atomic<UInt64>.self, capacity: slots)
        metas = (region + Self.regionHeaderSize + slots * 8).bindMemory(to: Atomic<UInt64>.self, capacity: slots)
        storage = region + Self.regionHeaderSize + slots * 16
        droppedCounts = .allocate(capacity: max(sources, 1))
        oversizeCounts = .allocate(capacity: max(sources, 1))
        for index in 0..<max(sources, 1) {
            (droppedCounts + index).initialize(to: Atomic(0))
            (oversizeCounts + index).initialize(to: Atomic(0))
        }
        self.consumerParker = consumerParker
        self.producerParker = producerParker
        switch format {
        case .fresh(let base, let sourceTag):
            reset(startingAt: base, sourceTag: sourceTag)
        case .existing:
            precondition(
                region.load(as: UInt64.self) == Self.magic
                    && Int(region.load(fromByteOffset: 8, as: UInt32.self)) == slots
                    && Int(region.load(fromByteOffset: 12, as: UInt32.self)) == slotSize
                    && Int(region.load(fromByteOffset: 16, as: UInt64.self)) == configuration.maxMessageBytes,
                "the region holds no ring of this configuration (check storedConfiguration(in:) first)"
            )
        }
    }

    deinit {
        droppedCounts.deinitialize(count: max(sourceCount, 1))
        droppedCounts.deallocate()
        oversizeCounts.deinitialize(count: max(sourceCount, 1))
        oversizeCounts.deallocate()
        if ownsRegion { region.deallocate() }
    }

    /// Makes a recovered ring usable again once what `recover` handed over is committed: frees
    /// every slot below the tail and goes on at the tail. The freed messages stay in their slots
    /// as the next recovery's history (until reused), so that a broker redelivering one of them
    /// is still recognised after another crash; a torn run is marked void so that the history
    /// steps over it. Only on a ring taken with `Format.existing`, before producers run.
    public func resume() {
        let end = tail.pointee.load(ordering: .acquiring)
        var current = max(released.pointee.load(ordering: .acquiring), end >= UInt64(slots) ? end - UInt64(slots) : 0)
        while current < end {
            let index = Int(current & mask)
            let sequence = sequences[index].load(ordering: .acquiring)
            let count = metas[index].load(ordering: .relaxed) & 0xFFFF_FFFF
            if sequence == current + 1, count >= 1, current + count <= end {
                release(at: current, count: count)
                current += count
            } else if sequence == current {
                var run: UInt64 = 1
                while current + run < end, sequences[Int((current + run) & mask)].load(ordering: .relaxed) == current + run {
                    run += 1
                }
                metas[index].store(run | Self.voidFlag, ordering: .relaxed)
                release(at: current, count: run)
                current += run
            } else {
                current += 1
            }
        }
        head.pointee.store(end, ordering: .releasing)
        released.pointee.store(end, ordering: .releasing)
    }

    /// In a message's meta word: not a message but slots a torn copy left (see `resume`).
    private static let voidFlag: UInt64 = 1 << 56

    /// Formats the ring afresh, empty, its next message at position `base` (every slot free for
    /// the lap that starts there), forgetting everything it held. Only while no producer or
    /// consumer runs: at creation, or for a ring whose past must not be used (another device list).
    ///
    /// The header's magic is cleared first and written last, so a process killed while
    /// formatting leaves a region that `storedConfiguration(in:)` refuses, never a half-made ring.
    public func reset(startingAt base: UInt64, sourceTag: UInt64 = 0) {
        region.storeBytes(of: 0, as: UInt64.self)
        for index in 0..<slots {
            let position = base + (UInt64(index) &- base) & mask
            (sequences + index).initialize(to: Atomic(position))
            (metas + index).initialize(to: Atomic(0))
        }
        head.initialize(to: Atomic(base))
        tail.initialize(to: Atomic(base))
        released.initialize(to: Atomic(base))
        historyStart.initialize(to: Atomic(base))
        region.storeBytes(of: UInt32(slots), toByteOffset: 8, as: UInt32.self)
        region.storeBytes(of: UInt32(slotSize), toByteOffset: 12, as: UInt32.self)
        region.storeBytes(of: UInt64(configuration.maxMessageBytes), toByteOffset: 16, as: UInt64.self)
        region.storeBytes(of: sourceTag, toByteOffset: 24, as: UInt64.self)
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        region.storeBytes(of: Self.magic, as: UInt64.self)
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
            let position = tail.pointee.load(ordering: .acquiring)
            switch room(at: position, count: count) {
            case .stale:
                continue
            case .free:
                guard
                    tail.pointee.weakCompareExchange(
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
                    if attempts < 64 && room(at: tail.pointee.load(ordering: .acquiring), count: count) != .full { continue }
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
        let position = head.pointee.load(ordering: .acquiring)
        // With retention, the slots a producer waits for are the oldest retained ones, which
        // only a commit frees: evicting a waiting message makes room only when none is retained.
        if retention == .untilReleased && position != released.pointee.load(ordering: .acquiring) { return false }
        let index = Int(position & mask)
        guard sequences[index].load(ordering: .acquiring) == position + 1 else {
            return head.pointee.load(ordering: .acquiring) != position
        }
        let meta = metas[index].load(ordering: .relaxed)
        guard meta >> 48 & 1 == UInt64(Policy.dropOldest.rawValue) else {
            return head.pointee.load(ordering: .acquiring) != position
        }
        let count = meta & 0xFFFF_FFFF
        if head.pointee.compareExchange(expected: position, desired: position + count, ordering: .acquiringAndReleasing)
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
        guard room(at: position, count: count) == .full, tail.pointee.load(ordering: .acquiring) == position,
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
            let position = head.pointee.load(ordering: .acquiring)
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
                    && tail.pointee.load(ordering: .sequentiallyConsistent) == head.pointee.load(ordering: .sequentiallyConsistent)
                {
                    return false
                }
                if waited { return true }
                waited = true
                sleep(timeout: closedFlag.load(ordering: .relaxed) ? .milliseconds(1) : timeout, at: position)
                continue
            }
            let depth = Int(tail.pointee.load(ordering: .relaxed) &- position)
            if depth > highWaterSlots.load(ordering: .relaxed) { highWaterSlots.store(depth, ordering: .relaxed) }
            guard
                head.pointee.compareExchange(expected: position, desired: end, ordering: .acquiringAndReleasing).exchanged
            else { continue }
            var current = position
            var lastWake = position
            while current != end {
                let index = Int(current & mask)
                let count = metas[index].load(ordering: .relaxed) & 0xFFFF_FFFF
                body(message(at: current, count: count))
                current += count
                // Kept until `release(upTo:)` when the creator needs the message after a crash.
                guard retention == .untilConsumed else { continue }
                release(at: current - count, count: count)
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

    /// Waits `duration` without raising `consumerSleeping`, so producers publish without waking
    /// the consumer; only `close()` cuts it short. The live pipeline calls it after a `consume`
    /// that took only a few messages: at 1 000 msg/s it then wakes every few milliseconds for a
    /// handful of messages, not once per message (each wake-up is a futex system call on the
    /// network thread and a context switch on the consumer's). What it adds to a message's
    /// latency is at most `duration`. Only the consumer's thread may call it.
    public func linger(for duration: Duration) {
        let epoch = consumerParker.epoch
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if closedFlag.load(ordering: .sequentiallyConsistent) { return }
        consumerParker.park(observed: epoch, timeout: duration)
    }

    // MARK: - Retention and recovery

    /// Frees the slots of every consumed message below `position` (a message boundary the
    /// consumer reached), for `Retention.untilReleased`. One thread at a time (the gateway's
    /// sink writer, after each commit); it never touches slots at or above `position`, which
    /// the consumer may still be reading.
    ///
    /// A consumed message still holds its published sequence number (`p + 1`), so it is freed
    /// with plain stores: nobody else writes an unreleased slot. A slot whose number says
    /// otherwise was freed already by a `dropOldest` eviction (and may even hold the next lap's
    /// message by now), and is stepped over one slot at a time without a store.
    public func release(upTo position: UInt64) {
        var current = released.pointee.load(ordering: .relaxed)
        guard position > current else { return }
        // The history moves up to the previous boundary once it spans a quarter of the ring, so
        // it keeps between the last release and a quarter ring of released messages.
        if position - historyStart.pointee.load(ordering: .relaxed) > UInt64(slots / 4) {
            historyStart.pointee.store(current, ordering: .relaxed)
        }
        while current < position {
            let index = Int(current & mask)
            if sequences[index].load(ordering: .acquiring) == current + 1 {
                let count = max(1, metas[index].load(ordering: .relaxed) & 0xFFFF_FFFF)
                release(at: current, count: count)
                current += count
            } else {
                current += 1
            }
        }
        released.pointee.store(current, ordering: .releasing)
        wakeProducers()
    }

    /// What the creator recorded about the meaning of source ids at the last `reset` (the live
    /// gateway: a digest of its device list), so that messages are never recovered as another
    /// device's.
    public var sourceTag: UInt64 { region.load(fromByteOffset: 24, as: UInt64.self) }

    /// The position the next message will get (the tail).
    public var tailPosition: UInt64 { tail.pointee.load(ordering: .acquiring) }

    /// The position below which every slot is free again (`Retention.untilReleased`).
    public var releasedPosition: UInt64 { released.pointee.load(ordering: .acquiring) }

    /// Slots claimed and not yet released: consumed-and-retained ones plus waiting ones
    /// (`Retention.untilReleased`; with `untilConsumed`, the waiting ones only).
    public var retainedSlots: Int {
        let tail = tail.pointee.load(ordering: .relaxed)
        let from = retention == .untilReleased ? released.pointee.load(ordering: .relaxed) : head.pointee.load(ordering: .relaxed)
        return Int(tail &- from)
    }

    /// Hands every message published at or above `position` (normally the position stored with
    /// the last commit) and below the tail to `body`, in order, after a crash: see "Durability".
    /// Only on a ring taken with `Format.existing`, before anything else uses it; the messages
    /// stay where they are, and `reset(startingAt:)` must follow once their effects committed.
    ///
    /// `history` first gets the messages just below `position` that are still intact (released
    /// or not yet released, and not reused: see `release(upTo:)`), oldest first: their effects are
    /// committed, but a broker may deliver them again (their acknowledgement lost with the
    /// process), so the consumer's redelivery window should know them.
    public func recover(
        from position: UInt64,
        history: (borrowing Message) -> Void = { _ in },
        _ body: (borrowing Message) -> Void
    ) -> Recovery {
        let end = tail.pointee.load(ordering: .acquiring)
        var past = max(historyStart.pointee.load(ordering: .acquiring), end >= UInt64(slots) ? end - UInt64(slots) : 0)
        while past < position {
            let index = Int(past & mask)
            let sequence = sequences[index].load(ordering: .acquiring)
            let meta = metas[index].load(ordering: .relaxed)
            let count = meta & 0xFFFF_FFFF
            guard sequence == past + 1 || sequence == past + UInt64(slots), count >= 1, past + count <= position,
                meta & Self.voidFlag != 0 || count <= UInt64(maxSlotsPerMessage)
            else { break }
            if meta & Self.voidFlag == 0 { history(message(at: past, count: count)) }
            past += count
        }
        // Below the released position nothing is left; more than a lap back was overwritten.
        var current = max(position, released.pointee.load(ordering: .acquiring), end >= UInt64(slots) ? end - UInt64(slots) : 0)
        var recovery = Recovery(start: current, end: end, messages: 0, tornMessages: 0)
        var inTornRun = false
        while current < end {
            let index = Int(current & mask)
            let sequence = sequences[index].load(ordering: .acquiring)
            let count = metas[index].load(ordering: .relaxed) & 0xFFFF_FFFF
            if sequence == current + 1, count >= 1, count <= UInt64(maxSlotsPerMessage), current + count <= end {
                inTornRun = false
                recovery.messages += 1
                body(message(at: current, count: count))
                current += count
                continue
            }
            // Still "free for this lap": claimed by a producer that died before publishing. A
            // higher number: evicted (`dropOldest`) and freed before the crash.
            if sequence == current, !inTornRun { recovery.tornMessages += 1 }
            inTornRun = sequence == current
            current += 1
        }
        return recovery
    }

    /// The published message at `position` taking `count` slots. Its lengths are clamped to its
    /// slots: a producer wrote them consistently, but `recover` reads what a crash left.
    @inline(__always)
    private func message(at position: UInt64, count: UInt64) -> Message {
        let index = Int(position & mask)
        let start = UnsafeRawPointer(storage + index * slotSize)
        let topicLength = min(Int(start.load(fromByteOffset: 8, as: UInt32.self)), Int(count) * slotSize - Self.headerSize)
        let bodyLength = min(
            Int(start.load(fromByteOffset: 12, as: UInt32.self)),
            Int(count) * slotSize - Self.headerSize - topicLength
        )
        return Message(
            position: position,
            slotCount: Int(count),
            source: UInt16(truncatingIfNeeded: metas[index].load(ordering: .relaxed) >> 32),
            kind: Kind(rawValue: start.load(fromByteOffset: 20, as: UInt8.self)) ?? .mqtt,
            arrival: EventTime(nanoseconds: start.load(as: Int64.self)),
            topic: UnsafeRawBufferPointer(start: start + Self.headerSize, count: topicLength),
            body: UnsafeRawBufferPointer(start: start + Self.headerSize + topicLength, count: max(0, bodyLength)),
            originalLength: Int(start.load(fromByteOffset: 16, as: UInt32.self))
        )
    }

    /// Parks the consumer until a producer published, or `timeout`.
    private func sleep(timeout: Duration, at position: UInt64) {
        consumerSleeping.store(true, ordering: .sequentiallyConsistent)
        let epoch = consumerParker.epoch
        atomicMemoryFence(ordering: .sequentiallyConsistent)
        if sequences[Int(position & mask)].load(ordering: .acquiring) != position + 1
            && head.pointee.load(ordering: .acquiring) == position
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
    ///
    /// Read from any thread (the HTTP API's `/metrics` and `/api/sources`) while both ends move: the
    /// head is read before the tail, and the difference is taken as a signed number, so a consumer
    /// that overtook the tail read earlier gives 0 instead of a trap.
    public var depth: (current: Int, highWater: Int) {
        let consumed = head.pointee.load(ordering: .relaxed)
        let claimed = tail.pointee.load(ordering: .relaxed)
        let current = Int(truncatingIfNeeded: claimed &- consumed)
        return (max(0, min(current, slots)), highWaterSlots.load(ordering: .relaxed))
    }
}
