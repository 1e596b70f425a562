import SortgateConfig
import SortgateTestSupport
import SortgateIngest
import Testing

@Suite("Register decoding")
struct RegisterDecodingTests {
    private func spec(
        _ type: RegisterType,
        word: ByteOrder = .big,
        byte: ByteOrder = .big,
        scale: Double = 1,
        offset: Double = 0,
        unit: String? = nil
    ) -> RegisterSpec {
        RegisterSpec(
            name: "temperature",
            table: .holding,
            address: 0,
            type: type,
            wordOrder: word,
            byteOrder: byte,
            scale: scale,
            offset: offset,
            unit: unit
        )
    }

    @Test(
        "float32 123456.0 in the four orders",
        arguments: [
            (ByteOrder.big, ByteOrder.big, [UInt16(0x47F1), 0x2000]),  // ABCD
            (.little, .big, [0x2000, 0x47F1]),  // CDAB
            (.big, .little, [0xF147, 0x0020]),  // BADC
            (.little, .little, [0x0020, 0xF147]),  // DCBA
        ]
    )
    func float32Orders(word: ByteOrder, byte: ByteOrder, registers: [UInt16]) {
        #expect(spec(.float32, word: word, byte: byte).value(from: registers) == 123456.0)
    }

    @Test("the reference's registers 0x0020, 0xF147 are 123456.0 in DCBA, not in ABCD")
    func referenceExample() {
        #expect(spec(.float32, word: .little, byte: .little).value(from: [0x0020, 0xF147]) == 123456.0)
        #expect(spec(.float32).value(from: [0x0020, 0xF147]) != 123456.0)
        // The shipped generic float32 profile's own example: CDAB [0x0000, 0x4090] = 4.5 °C.
        #expect(spec(.float32, word: .little).value(from: [0x0000, 0x4090]) == 4.5)
    }

    @Test("integers: signed, unsigned, 16 and 32 bits, every order")
    func integers() {
        #expect(spec(.int16).value(from: [0xFB2E]) == -1234)
        #expect(spec(.int16, byte: .little).value(from: [0x2EFB]) == -1234)
        #expect(spec(.uint16).value(from: [0xFDE8]) == 65000)
        #expect(spec(.uint16, byte: .little).value(from: [0xE8FD]) == 65000)
        // -123456789 = 0xF8A432EB
        #expect(spec(.int32).value(from: [0xF8A4, 0x32EB]) == -123_456_789)
        #expect(spec(.int32, word: .little).value(from: [0x32EB, 0xF8A4]) == -123_456_789)
        #expect(spec(.int32, byte: .little).value(from: [0xA4F8, 0xEB32]) == -123_456_789)
        #expect(spec(.int32, word: .little, byte: .little).value(from: [0xEB32, 0xA4F8]) == -123_456_789)
        // 4000000000 = 0xEE6B2800
        #expect(spec(.uint32).value(from: [0xEE6B, 0x2800]) == 4_000_000_000)
        #expect(spec(.uint32, word: .little, byte: .little).value(from: [0x0028, 0x6BEE]) == 4_000_000_000)
    }

    @Test("value is raw × scale + offset, and Fahrenheit becomes Celsius")
    func scaleOffsetAndUnit() {
        #expect(spec(.int16, scale: 0.1).value(from: [40]) == 4.0)
        #expect(spec(.int16, scale: 0.1).value(from: [UInt16(bitPattern: -200)]) == -20.0)
        #expect(spec(.uint16, scale: 0.01, offset: -40).rawValue(from: [6137]) == 6137)
        #expect(abs(spec(.uint16, scale: 0.01, offset: -40).value(from: [6137]) - 21.37) < 1e-9)
        let fahrenheit = spec(.int16, scale: 0.1, unit: "fahrenheit")
        #expect(fahrenheit.value(from: [2120]) == 100)
        #expect(fahrenheit.value(from: [320]) == 0)
        #expect(fahrenheit.decodedUnit == "celsius")
        #expect(spec(.int16, unit: "percent").decodedUnit == "percent")
    }

    @Test("a recorded poll yields the values it covers, and nothing when it failed")
    func readingsFromPolls() {
        let poll = CaptureRecord.ModbusPoll(table: "input", address: 1, registers: [40, 625])
        let readings = xyMD02Profile.readings(from: poll)
        #expect(readings.map(\.name) == ["temperature", "humidity"])
        #expect(readings.map(\.value) == [4.0, 62.5])
        #expect(readings.map(\.unit) == ["celsius", "percent"])
        let partial = CaptureRecord.ModbusPoll(table: "input", address: 2, registers: [625])
        #expect(xyMD02Profile.readings(from: partial).map(\.name) == ["humidity"])
        let otherTable = CaptureRecord.ModbusPoll(table: "holding", address: 1, registers: [40, 625])
        #expect(xyMD02Profile.readings(from: otherTable).isEmpty)
        let failed = CaptureRecord.ModbusPoll(table: "input", address: 1, error: "ETIMEDOUT")
        #expect(xyMD02Profile.readings(from: failed).isEmpty)
        let coil = RegisterSpec(name: "door", table: .coil, address: 3, type: .uint16)
        #expect(coil.value(in: CaptureRecord.ModbusPoll(table: "coil", address: 0, registers: [0, 0, 0, 1])) == 1)
    }

    /// Found by FuzzRegisters: `spec.address - poll.address` trapped for a poll at -2^63 + 1,
    /// and `start + span` for a spec near `Int.max`; such polls cover none of the registers.
    @Test("a poll at an address far from the spec's covers nothing, and does not trap")
    func farAddresses() {
        let farBelow = CaptureRecord.ModbusPoll(table: "input", address: -Int.max, registers: [1, 2, 3])
        #expect(xyMD02Profile.readings(from: farBelow).isEmpty)
        let farAbove = CaptureRecord.ModbusPoll(table: "input", address: .max, registers: [40, 625])
        #expect(xyMD02Profile.readings(from: farAbove).isEmpty)
        let topSpec = RegisterSpec(name: "temperature", table: .input, address: .max, type: .float32)
        #expect(topSpec.value(in: CaptureRecord.ModbusPoll(table: "input", address: 0, registers: [1, 2])) == nil)
        #expect(topSpec.value(in: CaptureRecord.ModbusPoll(table: "input", address: .max - 1, registers: [0, 0, 0])) == 0)
    }
}
