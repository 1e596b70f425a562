import Foundation
import FuzzSupport
import SortgateConfig
import SortgateIngest

/// Register decoding, with both sides fuzzed: the recorded poll (table, start address, words;
/// from a capture file, where any JSON integer can stand) and the register spec (from a
/// profile).
///
/// An input starting with `{` is a capture line; its Modbus poll is decoded with every shipped
/// Modbus profile (so the seeds are real polls). Any other input is read as bytes: a spec
/// (table, type, orders, address, scale, offset, unit) and a poll (table, address, error flag,
/// then the remaining bytes as big-endian words).
func fuzzRegisters(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = UnsafeRawBufferPointer(start: data, count: size)
    if input.first == UInt8(ascii: "{") {
        if let poll = try? CaptureRecord(jsonLine: input, file: "fuzz", line: 1).modbus {
            for profile in shippedModbusProfiles {
                _ = profile.readings(from: poll)
            }
        }
        return 0
    }
    var reader = FuzzBytes(input)
    let spec = RegisterSpec(
        name: "temperature",
        table: reader.pick(RegisterTable.allCases),
        address: reader.edgyInt(),
        type: reader.pick(RegisterType.allCases),
        wordOrder: reader.pick(ByteOrder.allCases),
        byteOrder: reader.pick(ByteOrder.allCases),
        scale: reader.double(),
        offset: reader.double(),
        unit: reader.pick([nil, "fahrenheit", "celsius", "percent"])
    )
    let table = reader.pick(RegisterTable.allCases.map(\.rawValue) + ["", "Input"])
    let address = reader.edgyInt()
    let error: String? = reader.byte() & 1 == 0 ? nil : "Connection timed out"
    var words: [UInt16] = []
    let rest = reader.remaining
    for index in stride(from: 0, to: rest.count - 1, by: 2) {
        words.append(UInt16(rest[index]) << 8 | UInt16(rest[index + 1]))
    }
    let poll = CaptureRecord.ModbusPoll(table: table, address: address, registers: words, error: error)
    _ = spec.value(in: poll)
    if words.count >= spec.span {
        _ = spec.value(from: words)
    }
    let profile = DeviceProfile(
        file: "fuzz.yaml",
        model: "fuzz",
        kind: .temperatureSensor,
        protocolKind: .modbus,
        registers: [spec]
    )
    _ = profile.readings(from: poll)
    return 0
}

/// Every shipped profile that reads registers, loaded once.
let shippedModbusProfiles: [DeviceProfile] = {
    let devices = repositoryRoot + "/Devices"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: devices)) ?? []
    let profiles = names.filter { $0.hasSuffix(".yaml") }.sorted().compactMap {
        try? DeviceProfile.load(path: devices + "/" + $0)
    }
    let modbus = profiles.filter { !$0.registers.isEmpty }
    precondition(!modbus.isEmpty, "fuzz set-up: no Modbus profile in \(devices)")
    return modbus
}()
