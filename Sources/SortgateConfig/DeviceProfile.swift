/// A device model: what it is, how it talks, and how its bytes become readings.
///
/// Loaded from `Devices/NAME.yaml` (see `load(path:)`); adding a sensor model is a YAML file, not
/// code. An MQTT profile has a `payload` and no registers; a Modbus profile has registers and no
/// payload; a Modbus temperature sensor has a register named `temperature`, the one that feeds
/// `readings.celsius`.
public struct DeviceProfile: Sendable, Hashable {
    /// The profile file it was loaded from.
    public var file: String
    public var model: String
    public var vendor: String?
    public var kind: DeviceKind
    public var protocolKind: DeviceProtocol
    /// How MQTT messages decode (MQTT profiles only).
    public var payload: PayloadFormat?
    /// The registers polled (Modbus profiles only), in file order.
    public var registers: [RegisterSpec]

    public init(
        file: String,
        model: String,
        vendor: String? = nil,
        kind: DeviceKind,
        protocolKind: DeviceProtocol,
        payload: PayloadFormat? = nil,
        registers: [RegisterSpec] = []
    ) {
        self.file = file
        self.model = model
        self.vendor = vendor
        self.kind = kind
        self.protocolKind = protocolKind
        self.payload = payload
        self.registers = registers
    }

    /// The register named `temperature`, which feeds `readings.celsius`.
    public var temperatureRegister: RegisterSpec? { registers.first { $0.name == "temperature" } }
}

/// What a device observes.
public enum DeviceKind: String, Sendable, Hashable, CaseIterable {
    case rfidReader = "rfid-reader"
    case temperatureSensor = "temperature-sensor"
}

/// How the gateway talks to a device.
public enum DeviceProtocol: String, Sendable, Hashable, CaseIterable {
    case mqtt
    case modbus
}

/// The four Modbus data tables.
public enum RegisterTable: String, Sendable, Hashable, CaseIterable {
    /// Read/write bits (function code 1).
    case coil
    /// Read-only bits (function code 2).
    case discrete
    /// Read-only 16-bit registers (function code 4).
    case input
    /// Read/write 16-bit registers (function code 3).
    case holding
}

/// How a value is laid out in 16-bit registers.
public enum RegisterType: String, Sendable, Hashable, CaseIterable {
    case int16
    case uint16
    case int32
    case uint32
    case float32

    /// Registers the value spans: 1, or 2 for the 32-bit types.
    public var registerCount: Int {
        switch self {
        case .int16, .uint16: return 1
        case .int32, .uint32, .float32: return 2
        }
    }
}

/// Order of the two registers of a 32-bit value, or of the two bytes within a register.
public enum ByteOrder: String, Sendable, Hashable, CaseIterable {
    /// Most significant first, Modbus' own order (the default).
    case big
    case little
}

/// One value a Modbus device is polled for; its reading is `raw × scale + offset`.
public struct RegisterSpec: Sendable, Hashable {
    /// `temperature` for the register that feeds `readings.celsius`; free otherwise.
    public var name: String
    public var table: RegisterTable
    /// 0-based protocol address (what libmodbus takes, not 30001-style).
    public var address: Int
    /// For coils and discrete inputs, always `uint16` (a bit reads as 0 or 1).
    public var type: RegisterType
    public var wordOrder: ByteOrder
    public var byteOrder: ByteOrder
    public var scale: Double
    public var offset: Double
    /// `celsius` or `fahrenheit` for `temperature`; free text (`percent`) for other registers.
    public var unit: String?

    public init(
        name: String,
        table: RegisterTable,
        address: Int,
        type: RegisterType,
        wordOrder: ByteOrder = .big,
        byteOrder: ByteOrder = .big,
        scale: Double = 1,
        offset: Double = 0,
        unit: String? = nil
    ) {
        self.name = name
        self.table = table
        self.address = address
        self.type = type
        self.wordOrder = wordOrder
        self.byteOrder = byteOrder
        self.scale = scale
        self.offset = offset
        self.unit = unit
    }
}
