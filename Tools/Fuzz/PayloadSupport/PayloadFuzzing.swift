public import SortgateIngest
import SortgateCore

/// Runs one fuzz input through a payload decoder, with a plausible arrival and with the extreme
/// arrivals a capture file can hold (its `t` is any time the RFC 3339 parser accepts: 1677–2262),
/// because the clock-lead check does arithmetic on the arrival.
public func fuzzDecode(_ decoder: PayloadDecoder, _ data: UnsafePointer<UInt8>?, _ size: Int) {
    let payload = UnsafeRawBufferPointer(start: data, count: size)
    var reads: [TagRead] = []
    for arrival in arrivals {
        reads.removeAll(keepingCapacity: true)
        _ = try? decoder.decode(payload, source: SourceID(1), seq: 1, arrival: arrival, into: &reads)
    }
}

/// 2023-06-28T07:24:01Z (the reference payloads' day), and the first and last instants of
/// `EventTime`'s range that a capture line's `t` can name.
let arrivals = [
    EventTime(nanoseconds: 1_687_937_041_000_000_000),
    EventTime(nanoseconds: .max),
    EventTime(nanoseconds: .min),
]
