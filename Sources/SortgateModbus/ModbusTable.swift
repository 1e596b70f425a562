/// The four Modbus data tables a master reads, with the function code that reads each and the most
/// one request may read (Modbus Application Protocol V1.1b3, 6.1–6.4: 2000 bits, 125 registers).
///
/// The raw values are the table names of capture files and device profiles (`coil`, `discrete`,
/// `input`, `holding`).
public enum ModbusTable: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Read/write bits, function 0x01.
    case coils = "coil"
    /// Read-only bits, function 0x02.
    case discreteInputs = "discrete"
    /// Read-only 16-bit registers, function 0x04.
    case inputRegisters = "input"
    /// Read/write 16-bit registers, function 0x03.
    case holdingRegisters = "holding"

    /// The function code that reads this table.
    public var functionCode: UInt8 {
        switch self {
        case .coils: 0x01
        case .discreteInputs: 0x02
        case .holdingRegisters: 0x03
        case .inputRegisters: 0x04
        }
    }

    /// The table a read function code reads, or nil for any other function.
    public init?(functionCode: UInt8) {
        switch functionCode {
        case 0x01: self = .coils
        case 0x02: self = .discreteInputs
        case 0x03: self = .holdingRegisters
        case 0x04: self = .inputRegisters
        default: return nil
        }
    }

    /// True for the bit tables (coils, discrete inputs), whose values read as 0 or 1.
    public var holdsBits: Bool {
        self == .coils || self == .discreteInputs
    }

    /// The most values one read request may ask for: 2000 bits or 125 registers.
    public var maximumReadCount: Int {
        holdsBits ? 2000 : 125
    }

    /// `input registers`, as log lines say it.
    public var description: String {
        switch self {
        case .coils: "coils"
        case .discreteInputs: "discrete inputs"
        case .inputRegisters: "input registers"
        case .holdingRegisters: "holding registers"
        }
    }
}
