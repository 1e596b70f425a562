/// The GS1 mod-10 check digit that ends a GTIN, SSCC, GLN and GRAI (GS1 General Specifications §7.9.1).
///
/// Digits are weighted 3, 1, 3, 1, … from the right (the digit next to the check digit has weight 3); the check
/// digit brings the weighted sum up to a multiple of ten.
public enum GS1CheckDigit {
    /// The check digit for `digits`, the key without its check digit; nil when `digits` is empty or holds
    /// anything but ASCII digits.
    public static func compute(for digits: some StringProtocol) -> Character? {
        var sum = 0
        var weight = 3
        var count = 0
        for code in digits.utf8.reversed() {
            guard code >= UInt8(ascii: "0"), code <= UInt8(ascii: "9") else { return nil }
            sum += Int(code - UInt8(ascii: "0")) * weight
            weight = 4 - weight
            count += 1
        }
        guard count > 0 else { return nil }
        return Character(Unicode.Scalar(UInt8(ascii: "0") + UInt8((10 - sum % 10) % 10)))
    }

    /// Whether the last digit of `key` (a whole GTIN-14, SSCC-18, …) is the check digit of the digits before it.
    public static func isValid(_ key: some StringProtocol) -> Bool {
        guard let last = key.last, key.count >= 2 else { return false }
        return compute(for: key.dropLast()) == last
    }
}
