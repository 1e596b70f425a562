/// The natural exponential and logarithm of `Double`, for mean kinetic temperature.
///
/// The standard library has no elementary functions, and `SortgateCore` imports neither
/// Foundation nor the C library, so these two are written out here. Both reduce the argument
/// by powers of two (Cody–Waite splitting of ln 2 keeps the reduction exact to about 1e-19) and
/// sum a short series on a small interval; the results are within a few ulps of the correctly
/// rounded value, far below the 0.01 °C that MKT is checked to.
enum RealFunctions {
    /// ln 2 split into a part whose products with small integers are exact, and the rest.
    private static let ln2High = 6.931_471_803_691_238_164_90e-01
    private static let ln2Low = 1.908_214_929_270_587_700_02e-10

    /// e raised to `x`.
    static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709.8 { return .infinity }
        if x < -745.2 { return 0 }
        // x = k·ln 2 + r with |r| ≤ ln 2 / 2, so e^x = 2^k · e^r.
        let k = (x / (ln2High + ln2Low)).rounded()
        let r = (x - k * ln2High) - k * ln2Low
        // Taylor series of e^r: for |r| ≤ 0.347 the term r^14/14! is below 1e-17.
        var term = 1.0
        var sum = 1.0
        for n in 1...14 {
            term *= r / Double(n)
            sum += term
        }
        return Double(sign: .plus, exponent: Int(k), significand: sum)
    }

    /// The natural logarithm of `x` (NaN for a negative `x`, −∞ for zero).
    static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return x }
        var value = x
        var exponent = 0.0
        if value.isSubnormal {
            value *= 0x1p54
            exponent -= 54
        }
        // x = m · 2^e with m in [√½, √2), so ln x = e·ln 2 + ln m.
        exponent += Double(value.exponent)
        var m = value.significand
        if m > 1.414_213_562_373_095_1 {
            m /= 2
            exponent += 1
        }
        // ln m = 2·atanh(s) = 2(s + s³/3 + s⁵/5 + …) with s = (m − 1)/(m + 1), |s| ≤ 0.172.
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var power = s
        var series = 0.0
        for n in 0..<12 {
            series += power / Double(2 * n + 1)
            power *= s2
        }
        return exponent * ln2High + (exponent * ln2Low + 2 * series)
    }
}
