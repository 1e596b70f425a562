extension Duration {
    /// The duration in seconds as a floating-point number: for rates and ratios, never for
    /// arithmetic on times (that stays in `Duration`).
    package var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
