/// A Modbus exception code: the one-byte reason a device gives when it answers a request with an
/// exception response (the function code with its high bit set) instead of data.
///
/// Kept as a raw value so that a code no constant names (a vendor's own) still round-trips; compare
/// with the `static let` constants: `code == .illegalDataAddress`. The names are those of the Modbus
/// Application Protocol Specification V1.1b3, section 7.
public struct ModbusExceptionCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt8

    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// 0x01: the device does not implement the function (e.g. input registers on a PLC that has none).
    public static let illegalFunction = ModbusExceptionCode(rawValue: 0x01)
    /// 0x02: an address of the request is not one the device has: a wrong register map.
    public static let illegalDataAddress = ModbusExceptionCode(rawValue: 0x02)
    /// 0x03: a value of the request is not allowed (a count out of range).
    public static let illegalDataValue = ModbusExceptionCode(rawValue: 0x03)
    /// 0x04: the device failed while answering (a sensor fault).
    public static let serverFailure = ModbusExceptionCode(rawValue: 0x04)
    /// 0x05: accepted, but the answer will take long (programming commands only).
    public static let acknowledge = ModbusExceptionCode(rawValue: 0x05)
    /// 0x06: the device is busy with a long command; try again later.
    public static let serverBusy = ModbusExceptionCode(rawValue: 0x06)
    /// 0x07: the device cannot perform the program function.
    public static let negativeAcknowledge = ModbusExceptionCode(rawValue: 0x07)
    /// 0x08: the device found a parity error in its memory.
    public static let memoryParityError = ModbusExceptionCode(rawValue: 0x08)
    /// 0x0A: a gateway has no path to the unit (misconfigured or overloaded gateway).
    public static let gatewayPathUnavailable = ModbusExceptionCode(rawValue: 0x0A)
    /// 0x0B: a gateway got no answer from the unit behind it (the serial device is off or unplugged).
    public static let gatewayTargetFailedToRespond = ModbusExceptionCode(rawValue: 0x0B)

    /// The exception codes of the specification, in code order.
    public static let allKnown: [ModbusExceptionCode] = [
        .illegalFunction, .illegalDataAddress, .illegalDataValue, .serverFailure, .acknowledge, .serverBusy,
        .negativeAcknowledge, .memoryParityError, .gatewayPathUnavailable, .gatewayTargetFailedToRespond,
    ]

    /// A short kebab-case name for logs and metric labels: `illegal-data-address`.
    public var name: String {
        switch rawValue {
        case 0x01: "illegal-function"
        case 0x02: "illegal-data-address"
        case 0x03: "illegal-data-value"
        case 0x04: "server-failure"
        case 0x05: "acknowledge"
        case 0x06: "server-busy"
        case 0x07: "negative-acknowledge"
        case 0x08: "memory-parity-error"
        case 0x0A: "gateway-path-unavailable"
        case 0x0B: "gateway-target-failed-to-respond"
        default: "exception-0x\(String(rawValue, radix: 16, uppercase: true))"
        }
    }

    /// `0x02 illegal-data-address`.
    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return "0x\(hex.count < 2 ? "0" + hex : hex) \(name)"
    }
}
