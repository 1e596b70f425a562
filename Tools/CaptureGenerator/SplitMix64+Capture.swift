/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014).
///
/// The generator owns its randomness so that a seed names one capture forever: the standard
/// library's `random(in:using:)` and `shuffle(using:)` are free to change their algorithms
/// between toolchains, so even the range mapping and the shuffle are implemented here.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0..<bound`, without modulo bias (Lemire's multiply-shift with rejection).
    mutating func below(_ bound: UInt64) -> UInt64 {
        precondition(bound > 0, "empty range")
        var product = next().multipliedFullWidth(by: bound)
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold {
                product = next().multipliedFullWidth(by: bound)
            }
        }
        return product.high
    }

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
