import Foundation
public import SortgateCore
import SortgateConfig

extension EventTime {
    /// The wall-clock time now (`CLOCK_REALTIME`): the arrival time stamped on live messages.
    public static func wallClockNow() -> EventTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return EventTime(seconds: Int64(spec.tv_sec), nanoseconds: Int64(spec.tv_nsec))
    }
}
