/// Spots redelivered vendor events by their event number, like an IPsec anti-replay window.
///
/// Zebra readers number their events (`eventNum`) per reader, increasing by one. An MQTT QoS 1
/// redelivery repeats a message with the same number, and messages may arrive slightly out of
/// order, so "below the highest seen" is not enough: this keeps a bitmap of the last
/// `windowSize` numbers below the highest. A number inside the window that was seen is a
/// duplicate; one that was not is accepted (late, but new). A number far below the window
/// means the reader restarted and counts from 1 again: the window restarts there. Fixed size,
/// no allocation per event.
public struct EventNumberWindow: Sendable {
    /// How many numbers below the highest are remembered.
    public static let windowSize: UInt64 = 1024

    /// What `admit` concluded about an event number.
    public enum Verdict: Equatable, Sendable {
        /// Not seen before: count it.
        case new
        /// Seen before: a redelivery, do not count it again.
        case duplicate
        /// Far below everything seen: the reader's counter restarted; accepted as new.
        case counterReset
    }

    private var highest: UInt64 = 0
    private var started = false
    /// Bit i set = number `highest - i` was seen (bit 0 is `highest` itself).
    private var seen:
        (
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
            UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
        ) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    public init() {}

    /// Records `number` and says whether it is new.
    public mutating func admit(_ number: UInt64) -> Verdict {
        if !started {
            started = true
            reset(to: number)
            return .new
        }
        if number > highest {
            shift(by: number - highest)
            highest = number
            setBit(0)
            return .new
        }
        let distance = highest - number
        if distance >= EventNumberWindow.windowSize {
            reset(to: number)
            return .counterReset
        }
        if testBit(Int(distance)) { return .duplicate }
        setBit(Int(distance))
        return .new
    }

    private mutating func reset(to number: UInt64) {
        highest = number
        withWords { words in
            for i in 0..<16 { words[i] = 0 }
        }
        setBit(0)
    }

    private mutating func shift(by amount: UInt64) {
        withWords { words in
            guard amount < EventNumberWindow.windowSize else {
                for i in 0..<16 { words[i] = 0 }
                return
            }
            let wordShift = Int(amount / 64)
            let bitShift = UInt64(amount % 64)
            for i in stride(from: 15, through: 0, by: -1) {
                let source = i - wordShift
                var value: UInt64 = source >= 0 ? words[source] << bitShift : 0
                if bitShift > 0, source - 1 >= 0 { value |= words[source - 1] >> (64 - bitShift) }
                words[i] = value
            }
        }
    }

    private func testBit(_ index: Int) -> Bool {
        var copy = seen
        return withUnsafeBytes(of: &copy) { raw in
            let words = raw.bindMemory(to: UInt64.self)
            return words[index / 64] & (1 << UInt64(index % 64)) != 0
        }
    }

    private mutating func setBit(_ index: Int) {
        withWords { words in words[index / 64] |= 1 << UInt64(index % 64) }
    }

    private mutating func withWords(_ body: (UnsafeMutableBufferPointer<UInt64>) -> Void) {
        withUnsafeMutableBytes(of: &seen) { raw in
            body(raw.bindMemory(to: UInt64.self))
        }
    }
}
