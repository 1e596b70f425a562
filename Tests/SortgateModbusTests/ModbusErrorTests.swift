import Glibc
import SortgateModbus
import Testing

@Suite("ModbusError and errno names")
struct ModbusErrorTests {
    @Test("errno values map to names, libmodbus texts and kinds")
    func errnoNames() {
        #expect(ModbusErrno.name(of: ETIMEDOUT) == "ETIMEDOUT")
        #expect(ModbusErrno.kind(of: ETIMEDOUT) == .timeout)
        #expect(ModbusErrno.name(of: ECONNREFUSED) == "ECONNREFUSED")
        #expect(ModbusErrno.kind(of: ECONNREFUSED) == .connection)
        #expect(ModbusErrno.kind(of: ECONNRESET) == .connection)
        #expect(ModbusErrno.kind(of: EPIPE) == .connection)
        #expect(ModbusErrno.kind(of: EBADF) == .connection)
        #expect(ModbusErrno.base == 112_345_678)
        #expect(ModbusErrno.name(of: ModbusErrno.exception(.illegalDataAddress)) == "EMBXILADD")
        #expect(ModbusErrno.kind(of: ModbusErrno.base + 2) == .exception(.illegalDataAddress))
        #expect(ModbusErrno.name(of: ModbusErrno.badCRC) == "EMBBADCRC")
        #expect(ModbusErrno.kind(of: ModbusErrno.badCRC) == .badCRC)
        #expect(ModbusErrno.message(of: ModbusErrno.badCRC) == "Invalid CRC")
        for code in [ModbusErrno.badData, ModbusErrno.badException, ModbusErrno.tooMuchData, ModbusErrno.badSlave] {
            #expect(ModbusErrno.kind(of: code) == .badResponse)
        }
        #expect(ModbusErrno.name(of: ModbusErrno.badData) == "EMBBADDATA")
        #expect(ModbusErrno.message(of: ModbusErrno.badData) == "Invalid data")
        #expect(ModbusErrno.name(of: ModbusErrno.badSlave) == "EMBBADSLAVE")
        #expect(ModbusErrno.message(of: ModbusErrno.badSlave) == "Response not from requested slave")
        #expect(ModbusErrno.kind(of: EINVAL) == .invalidRequest)
        #expect(ModbusErrno.kind(of: ENOSPC) == .other)
        #expect(ModbusErrno.name(of: 9999) == "errno 9999")
    }

    @Test("the description names the device, endpoint, unit, request and reason")
    func description() {
        let error = ModbusError(
            errno: ETIMEDOUT,
            endpoint: "127.0.0.1:1502",
            unit: 3,
            operation: .read(table: .inputRegisters, address: 0, count: 2),
            device: "coldroom-a-t1"
        )
        #expect(
            error.description
                == "device 'coldroom-a-t1' (127.0.0.1:1502 unit 3): read input registers 0..1 failed: Connection timed out"
        )
        #expect(error.kind.label == "timeout")
        let exception = ModbusError(
            errno: ModbusErrno.exception(.gatewayTargetFailedToRespond),
            endpoint: "10.0.0.5:502",
            unit: 7,
            operation: .read(table: .holdingRegisters, address: 16, count: 1)
        )
        #expect(
            exception.description
                == "10.0.0.5:502 unit 7: read holding registers 16..16 failed: Target device failed to respond"
        )
        #expect(exception.kind.description == "exception 0x0B gateway-target-failed-to-respond")
        #expect(exception.kind.label == "exception-gateway-target-failed-to-respond")
    }

    @Test("tables know their function codes and limits")
    func tables() {
        #expect(ModbusTable.allCases.map(\.functionCode) == [0x01, 0x02, 0x04, 0x03])
        #expect(ModbusTable(functionCode: 0x03) == .holdingRegisters)
        #expect(ModbusTable(functionCode: 0x10) == nil)
        #expect(ModbusTable.coils.maximumReadCount == 2000)
        #expect(ModbusTable.inputRegisters.maximumReadCount == 125)
        #expect(ModbusTable.allCases.map(\.rawValue) == ["coil", "discrete", "input", "holding"])
    }
}
