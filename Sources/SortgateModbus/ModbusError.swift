/// A Modbus operation failed: what kind of failure (`kind`), the `errno` libmodbus set and its
/// symbolic name, libmodbus' text for it, and what was being done to which device.
///
/// The description reads as one log line, in the style of
/// `device 'coldroom-a-t1' (127.0.0.1:1502 unit 3): read input registers 0..1 failed: Connection timed out`;
/// whoever retries appends when (`; retrying in 2 s`). `errnoName` is what a capture file records for
/// a failed poll (`"error":"ETIMEDOUT"`).
public struct ModbusError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong, coarsely enough to count and to decide what to do next.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// The device answered with a Modbus exception response: it is there, the request was wrong
        /// or it could not serve it (errno `MODBUS_ENOBASE + code`, e.g. `EMBXILADD`).
        case exception(ModbusExceptionCode)
        /// No (complete) answer within the response timeout, or a connection attempt that timed out.
        case timeout
        /// A serial (RTU) frame whose CRC did not match: line noise or a collision on the bus.
        case badCRC
        /// An answer that did not fit the request: wrong transaction id, unit, function, length, or an
        /// exception code libmodbus does not know (`EMBBADDATA`, `EMBBADEXC`, `EMBUNKEXC`, `EMBMDATA`,
        /// `EMBBADSLAVE`).
        case badResponse
        /// The connection could not be made or was lost: refused, reset, closed, unreachable, a serial
        /// port that is missing, or still waiting to reconnect (`ENOTCONN`).
        case connection
        /// A request no device could answer (a count over the protocol's limit, a unit id out of range).
        case invalidRequest
        /// Any other `errno`.
        case other

        /// `exception 0x02 illegal-data-address`, `timeout`, `bad-crc`, ….
        public var description: String {
            switch self {
            case .exception(let code): "exception \(code)"
            case .timeout: "timeout"
            case .badCRC: "bad-crc"
            case .badResponse: "bad-response"
            case .connection: "connection"
            case .invalidRequest: "invalid-request"
            case .other: "other"
            }
        }

        /// A label for metrics: `exception-illegal-data-address`, `timeout`, `bad-crc`, ….
        public var label: String {
            switch self {
            case .exception(let code): "exception-\(code.name)"
            default: description
            }
        }
    }

    /// What was being done when it failed.
    public enum Operation: Sendable, Hashable, CustomStringConvertible {
        /// Opening the TCP connection or the serial port.
        case connect
        /// A read request: `count` values of `table` from `address` on.
        case read(table: ModbusTable, address: Int, count: Int)
        /// Listening for or accepting Modbus TCP clients (the server side).
        case listen

        /// `read input registers 0..1`, `connect`, `listen`.
        public var description: String {
            switch self {
            case .connect: "connect"
            case .listen: "listen"
            case .read(let table, let address, let count):
                "read \(table) \(address)..\(address + max(count, 1) - 1)"
            }
        }
    }

    public var kind: Kind
    /// The `errno` value as libmodbus set it (`MODBUS_ENOBASE + n` for libmodbus' own codes); 0 when
    /// the failure was not an `errno` (a host name that did not resolve).
    public var errno: Int32
    /// The symbolic name of `errno` (`ETIMEDOUT`, `EMBXILADD`), or of the resolver error
    /// (`EAI_NONAME`): the `"error"` of a failed poll in a capture file.
    public var errnoName: String
    /// libmodbus' text for `errno` (`modbus_strerror`), read when the error was made.
    public var message: String
    /// The device's address: `127.0.0.1:1502` or `/dev/ttyUSB0`.
    public var endpoint: String
    /// The unit id the request was for; nil for connection-level operations.
    public var unit: Int?
    public var operation: Operation
    /// The configured device id, when the caller knows it (the poller sets it).
    public var device: String?
    /// More about why, when there is more than `message` says.
    public var detail: String?

    public init(
        kind: Kind,
        errno: Int32,
        errnoName: String,
        message: String,
        endpoint: String,
        unit: Int? = nil,
        operation: Operation,
        device: String? = nil,
        detail: String? = nil
    ) {
        self.kind = kind
        self.errno = errno
        self.errnoName = errnoName
        self.message = message
        self.endpoint = endpoint
        self.unit = unit
        self.operation = operation
        self.device = device
        self.detail = detail
    }

    /// An error for `errno` as a libmodbus call left it: kind, name and text all follow from it.
    public init(
        errno code: Int32,
        endpoint: String,
        unit: Int? = nil,
        operation: Operation,
        device: String? = nil,
        detail: String? = nil
    ) {
        self.init(
            kind: ModbusErrno.kind(of: code),
            errno: code,
            errnoName: ModbusErrno.name(of: code),
            message: ModbusErrno.message(of: code),
            endpoint: endpoint,
            unit: unit,
            operation: operation,
            device: device,
            detail: detail
        )
    }

    /// The device's exception code, when the device answered with one.
    public var exceptionCode: ModbusExceptionCode? {
        if case .exception(let code) = kind { code } else { nil }
    }

    public var description: String {
        var target = endpoint
        if let unit {
            target += " unit \(unit)"
        }
        var text = device.map { "device '\($0)' (\(target))" } ?? target
        text += ": \(operation) failed: \(message)"
        if let detail, !detail.isEmpty {
            text += " (\(detail))"
        }
        return text
    }
}
