import SortgateCore

/// How far a replay has got: what its progress line shows while it runs.
public struct ReplayProgress: Hashable, Sendable {
    /// Bytes of the capture files read so far, over all files.
    public var bytesDone: Int64
    /// Size of all the capture files, taken when the replay started.
    public var bytesTotal: Int64
    /// Tag read events processed so far (the summary's "tag reads").
    public var reads: UInt64
    /// Wall time since the replay started.
    public var elapsed: Duration

    public init(bytesDone: Int64, bytesTotal: Int64, reads: UInt64, elapsed: Duration) {
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.reads = reads
        self.elapsed = elapsed
    }

    /// The fraction of the bytes done, 0…1 (1 for empty files).
    public var fraction: Double {
        bytesTotal > 0 ? min(1, Double(bytesDone) / Double(bytesTotal)) : 1
    }

    /// Tag reads per second of wall time so far; nil before any time has passed.
    public var readsPerSecond: Double? {
        let seconds = elapsed.inSeconds
        return seconds > 0 ? Double(reads) / seconds : nil
    }

    /// The time left at the byte rate so far; nil until something was read.
    public var remaining: Duration? {
        let seconds = elapsed.inSeconds
        guard bytesDone > 0, seconds > 0 else { return nil }
        let left = Double(max(0, bytesTotal - bytesDone)) / (Double(bytesDone) / seconds)
        return .milliseconds(Int64((left * 1000).rounded()))
    }

    /// One line for a terminal, short enough for 80 columns:
    /// `replay  45.2 / 245.0 MiB  18%  182.4 k reads/s  ETA 0:19`.
    public var line: String {
        let rate = readsPerSecond.map { Self.count($0) + " reads/s" } ?? "– reads/s"
        let eta = remaining.map { "ETA " + Self.clock($0) } ?? "ETA –"
        let percent = Int((fraction * 100).rounded(.down))
        return "replay  \(Self.mebibytes(bytesDone)) / \(Self.mebibytes(bytesTotal)) MiB  \(percent)%  \(rate)  \(eta)"
    }

    /// Bytes as MiB with one decimal.
    static func mebibytes(_ bytes: Int64) -> String {
        tenths(Double(bytes) / 1_048_576)
    }

    /// A rate as it reads best: `950`, `12.3 k`, `1.2 M`.
    static func count(_ value: Double) -> String {
        switch value {
        case ..<1_000: String(Int(value.rounded()))
        case ..<1_000_000: tenths(value / 1_000) + " k"
        default: tenths(value / 1_000_000) + " M"
        }
    }

    /// A duration as `m:ss`, or `h:mm:ss` from an hour on.
    static func clock(_ duration: Duration) -> String {
        let total = Int(duration.inSeconds.rounded())
        let (hours, minutes, seconds) = (total / 3600, total % 3600 / 60, total % 60)
        let mmss = (hours > 0 && minutes < 10 ? "0" : "") + "\(minutes):" + (seconds < 10 ? "0" : "") + "\(seconds)"
        return hours > 0 ? "\(hours):" + mmss : mmss
    }

    /// One decimal, without Foundation's formatter.
    private static func tenths(_ value: Double) -> String {
        let scaled = Int((value * 10).rounded())
        return "\(scaled / 10).\(scaled % 10)"
    }
}
