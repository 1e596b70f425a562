public import Logging
public import SortgateConfig

/// A logger that drops everything: the tests assert on values, not on log lines.
public let quietLogger = Logger(label: "sortgate.modbus.tests") { _ in SwiftLogNoOpLogHandler() }

/// The XY-MD02 register map of Devices/xy-md02.yaml: input 1 = °C × 10 (int16), input 2 = %RH × 10.
public let xyMD02Profile = DeviceProfile(
    file: "xy-md02.yaml",
    model: "XY-MD02",
    kind: .temperatureSensor,
    protocolKind: .modbus,
    registers: [
        RegisterSpec(name: "temperature", table: .input, address: 1, type: .int16, scale: 0.1, unit: "celsius"),
        RegisterSpec(name: "humidity", table: .input, address: 2, type: .uint16, scale: 0.1, unit: "percent"),
    ]
)

/// A Modbus TCP device of the XY-MD02 profile on 127.0.0.1:`port`.
public func loopbackDevice(
    _ id: String,
    port: Int,
    unit: Int,
    poll: Duration = .milliseconds(200),
    timeout: Duration = .milliseconds(150)
) -> DeviceConfig {
    DeviceConfig(
        id: id,
        profileName: "xy-md02",
        profile: xyMD02Profile,
        connection: .modbus(
            ModbusDeviceConfig(
                endpoint: .tcp(host: "127.0.0.1", port: port),
                unit: unit,
                poll: poll,
                timeout: timeout,
                zone: "cold-room-a"
            )
        )
    )
}
