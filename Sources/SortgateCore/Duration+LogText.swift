extension Duration {
    /// `400 ms`, `2 s`, `1.6 s`: a delay or a timeout as log lines and errors say it (whole
    /// milliseconds under a second, seconds from one second on). The one wording of the Modbus
    /// connection's and the poller's messages, so `retrying in 2 s` reads the same in both.
    package var logText: String {
        let milliseconds = Int(
            (Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15).rounded()
        )
        if milliseconds < 1000 {
            return "\(milliseconds) ms"
        }
        if milliseconds % 1000 == 0 {
            return "\(milliseconds / 1000) s"
        }
        return "\(Double(milliseconds) / 1000) s"
    }
}
