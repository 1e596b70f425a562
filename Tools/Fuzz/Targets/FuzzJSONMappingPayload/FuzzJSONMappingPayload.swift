import FuzzSupport
import PayloadSupport
import SortgateConfig
import SortgateIngest

/// The generic JSON-pointer mapping, with the mapping itself fuzzed too: it comes from a
/// profile, and a profile's pointers reach the decoder only through `init(validating:)`.
///
/// Input: one line of tab-separated fields (events, epc, antenna, rssi, time, reads,
/// event-number pointers, then one option byte), then the message. A line without a tab picks
/// the shipped `generic-json-reader` mapping and the whole input is the message.
func fuzzJSONMappingPayload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    guard let newline = input.firstIndex(of: UInt8(ascii: "\n")), input[..<newline].contains(9) else {
        fuzzDecode(shippedDecoder, data, size)
        return 0
    }
    let fields = input[..<newline].split(separator: 9, omittingEmptySubsequences: false).map {
        String(decoding: $0, as: UTF8.self)
    }
    func pointer(_ index: Int) -> String? {
        index < fields.count && !fields[index].isEmpty ? fields[index] : nil
    }
    let options = fields.count > 7 ? fields[7].utf8.first ?? 0 : 0
    let mapping = JSONFieldMapping(
        events: pointer(0),
        epc: pointer(1) ?? "",
        epcEncoding: options & 1 == 0 ? .hex : .base64,
        antenna: pointer(2),
        rssi: pointer(3),
        rssiUnit: options & 2 == 0 ? .dBm : .centiDbm,
        time: pointer(4),
        timeUnit: [.seconds, .milliseconds, .microseconds, .nanoseconds][Int(options >> 2 & 3)],
        reads: pointer(5),
        eventNumber: pointer(6)
    )
    guard let decoder = try? PayloadDecoder(validating: .json(mapping)) else { return 0 }
    let message = input[(newline + 1)...]
    fuzzDecode(decoder, data.map { $0 + newline + 1 }, message.count)
    return 0
}

/// The decoder of the shipped generic profile, loaded once.
let shippedDecoder: PayloadDecoder = {
    let path = repositoryRoot + "/Devices/generic-json-reader.yaml"
    guard let profile = try? DeviceProfile.load(path: path), let format = profile.payload else {
        fatalError("fuzz set-up: \(path) is not a loadable reader profile")
    }
    return PayloadDecoder(format: format)
}()
