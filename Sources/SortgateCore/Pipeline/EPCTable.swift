/// A hash table from EPC to a value, built for the per-read hot path.
///
/// Keys and values live side by side in one dense array indexed by a *slot* number that stays
/// fixed while the key is in the table (so the key compare and the value update of a read touch
/// adjacent memory), so callers can keep slot numbers (in a heap of deadlines, in a list
/// of changed rows) instead of copying 34-byte EPCs around. The index is open addressing with
/// linear probing over an array of 64-bit buckets, each holding 32 bits of the key's hash and
/// its slot number (0 = empty): a probe compares a key only when the stored hash bits match, so
/// a lookup touches one bucket, one key and then the value it changes. The load factor stays at
/// most one half (the bucket array doubles), and a removed key's bucket is refilled by shifting
/// its cluster back (no tombstones), with its slot number reused by the next insertion.
///
/// Cost: a lookup or an update hashes four words and probes about 1.5 buckets; an insertion
/// appends to the dense arrays (amortised O(1)); nothing allocates except when an array grows.
/// Memory per key: 34 bytes of key plus the value (a stride of 80 for the presence tracker's
/// entries), and 16 bytes of buckets.
struct EPCTable<Value>: Sendable where Value: Sendable {
    /// One key and its value.
    struct Pair: Sendable {
        var key: EPC
        var value: Value
    }

    private(set) var pairs: [Pair] = []
    /// `(hash >> 32) << 32 | slot + 1`, or 0 when empty.
    private var buckets: [UInt64]
    private var mask: Int
    /// Slots of removed keys, reused before the arrays grow.
    private var freeSlots: [UInt32] = []

    /// Number of keys in the table.
    private(set) var count = 0

    init(minimumCapacity: Int = 1024) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        buckets = Array(repeating: 0, count: capacity)
        mask = capacity - 1
    }

    /// A 64-bit mix of the EPC's bits (multiply–xorshift; serial numbers differ only in a few
    /// bits of one word, so every word is multiplied and the halves are folded twice).
    @inline(__always)
    static func hash(_ epc: EPC) -> UInt64 {
        var h = (epc.w0 &* 0x9E37_79B9_7F4A_7C15) ^ (epc.w1 &* 0xC2B2_AE3D_27D4_EB4F)
        h ^= (epc.w2 ^ (epc.w3 &* 0x1656_67B1_9E37_79F9) ^ UInt64(epc.bitCount)) &* 0x27D4_EB2F_1656_67C5
        h ^= h >> 32
        h &*= 0xD6E8_FEB8_6659_FD93
        h ^= h >> 32
        return h
    }

    @inline(__always)
    private static func tag(_ hash: UInt64) -> UInt64 { hash & 0xFFFF_FFFF_0000_0000 }

    @inline(__always)
    private func home(_ tag: UInt64) -> Int { Int(truncatingIfNeeded: tag >> 32) & mask }

    /// The slot of `epc`, or nil.
    @inline(__always)
    func slot(of epc: EPC) -> Int? {
        let tag = Self.tag(Self.hash(epc))
        var position = home(tag)
        while true {
            let bucket = buckets[position]
            if bucket == 0 { return nil }
            if bucket & 0xFFFF_FFFF_0000_0000 == tag {
                let slot = Int(truncatingIfNeeded: bucket & 0xFFFF_FFFF) - 1
                if pairs[slot].key == epc { return slot }
            }
            position = (position + 1) & mask
        }
    }

    /// Adds `epc` (which must not be in the table) with `value`, and returns its slot.
    @discardableResult
    mutating func insert(_ epc: EPC, _ value: Value) -> Int {
        if (count + 1) * 2 > buckets.count { grow() }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
            pairs[slot] = Pair(key: epc, value: value)
        } else {
            slot = pairs.count
            pairs.append(Pair(key: epc, value: value))
        }
        place(tag: Self.tag(Self.hash(epc)), slot: slot)
        count += 1
        return slot
    }

    private mutating func place(tag: UInt64, slot: Int) {
        var position = home(tag)
        while buckets[position] != 0 { position = (position + 1) & mask }
        buckets[position] = tag | UInt64(slot + 1)
    }

    private mutating func grow() {
        let old = buckets
        buckets = Array(repeating: 0, count: old.count * 2)
        mask = buckets.count - 1
        for bucket in old where bucket != 0 {
            place(tag: bucket & 0xFFFF_FFFF_0000_0000, slot: Int(truncatingIfNeeded: bucket & 0xFFFF_FFFF) - 1)
        }
    }

    /// Removes the key at `slot`; the slot is reused by a later insertion.
    mutating func remove(slot: Int) {
        let tag = Self.tag(Self.hash(pairs[slot].key))
        var position = home(tag)
        let wanted = tag | UInt64(slot + 1)
        while buckets[position] != wanted { position = (position + 1) & mask }
        // Backward-shift deletion: move later members of the cluster into the hole when their
        // home position does not lie cyclically in (hole, their position].
        var hole = position
        var next = (hole + 1) & mask
        while buckets[next] != 0 {
            let ideal = home(buckets[next] & 0xFFFF_FFFF_0000_0000)
            let distanceToNext = (next - ideal) & mask
            let distanceToHole = (hole - ideal) & mask
            if distanceToHole < distanceToNext {
                buckets[hole] = buckets[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        buckets[hole] = 0
        freeSlots.append(UInt32(slot))
        count -= 1
    }

    /// The key at `slot`.
    @inline(__always)
    func key(at slot: Int) -> EPC { pairs[slot].key }

    /// The value at `slot`, updated in place.
    @inline(__always)
    subscript(slot slot: Int) -> Value {
        get { pairs[slot].value }
        _modify { yield &pairs[slot].value }
    }
}
