import SortgateCore

/// The draws a capture is made of. The generator owns its randomness so that a seed names one
/// capture forever: even the range mapping and the shuffle are implemented here, not taken from
/// the standard library, whose algorithms may change between toolchains.
extension SplitMix64 {
    /// A uniform integer in `range`.
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(below(UInt64(range.upperBound - range.lowerBound) + 1))
    }

    /// A uniform duration in nanoseconds between two bounds given in seconds.
    mutating func nanoseconds(seconds range: ClosedRange<Double>) -> Int64 {
        let low = Int64((range.lowerBound * 1e9).rounded())
        let high = Int64((range.upperBound * 1e9).rounded())
        return low + Int64(below(UInt64(high - low) + 1))
    }

    /// True with probability `p`.
    mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) * 0x1p-53 < p
    }

    mutating func element<T>(of items: [T]) -> T {
        items[Int(below(UInt64(items.count)))]
    }

    /// Fisher–Yates.
    mutating func shuffle<T>(_ items: inout [T]) {
        guard items.count > 1 else { return }
        for i in stride(from: items.count - 1, to: 0, by: -1) {
            items.swapAt(i, Int(below(UInt64(i + 1))))
        }
    }
}
