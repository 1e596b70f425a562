import CModbus
import Glibc

/// `errno` values as libmodbus reports them: its own codes above `MODBUS_ENOBASE` and the system's,
/// with their symbolic names and how each is classified.
///
/// libmodbus' codes are computed here rather than imported: its header defines them as macros over an
/// anonymous enum (`MODBUS_ENOBASE + MODBUS_EXCEPTION_ILLEGAL_FUNCTION`), which Swift does not import.
public enum ModbusErrno {
    /// `MODBUS_ENOBASE`: libmodbus adds a Modbus exception code to it (`EMBXILADD` = base + 2).
    public static let base = Int32(MODBUS_ENOBASE)
    /// libmodbus' own failures, after the exception codes (modbus.h: `EMBXGTAR + 1`, …).
    public static let badCRC = base + 12
    public static let badData = base + 13
    public static let badException = base + 14
    public static let unknownException = base + 15
    public static let tooMuchData = base + 16
    public static let badSlave = base + 17

    /// The `errno` libmodbus sets for an exception response with `code`.
    public static func exception(_ code: ModbusExceptionCode) -> Int32 {
        base + Int32(code.rawValue)
    }

    private static let modbusNames: [Int32: String] = [
        base + 1: "EMBXILFUN",
        base + 2: "EMBXILADD",
        base + 3: "EMBXILVAL",
        base + 4: "EMBXSFAIL",
        base + 5: "EMBXACK",
        base + 6: "EMBXSBUSY",
        base + 7: "EMBXNACK",
        base + 8: "EMBXMEMPAR",
        base + 10: "EMBXGPATH",
        base + 11: "EMBXGTAR",
        badCRC: "EMBBADCRC",
        badData: "EMBBADDATA",
        badException: "EMBBADEXC",
        unknownException: "EMBUNKEXC",
        tooMuchData: "EMBMDATA",
        badSlave: "EMBBADSLAVE",
    ]

    /// The system `errno` values a Modbus master meets, by name (sockets, serial ports, resources).
    private static let systemNames: [Int32: String] = [
        EPERM: "EPERM", ENOENT: "ENOENT", EINTR: "EINTR", EIO: "EIO", ENXIO: "ENXIO", EBADF: "EBADF",
        EAGAIN: "EAGAIN", ENOMEM: "ENOMEM", EACCES: "EACCES", EBUSY: "EBUSY", ENODEV: "ENODEV",
        EINVAL: "EINVAL", ENFILE: "ENFILE", EMFILE: "EMFILE", ENOTTY: "ENOTTY", EPIPE: "EPIPE",
        ENOTSOCK: "ENOTSOCK", EPROTO: "EPROTO", EADDRINUSE: "EADDRINUSE", EADDRNOTAVAIL: "EADDRNOTAVAIL",
        ENETDOWN: "ENETDOWN", ENETUNREACH: "ENETUNREACH", ENETRESET: "ENETRESET",
        ECONNABORTED: "ECONNABORTED", ECONNRESET: "ECONNRESET", ENOBUFS: "ENOBUFS", EISCONN: "EISCONN",
        ENOTCONN: "ENOTCONN", ESHUTDOWN: "ESHUTDOWN", ETIMEDOUT: "ETIMEDOUT", ECONNREFUSED: "ECONNREFUSED",
        EHOSTDOWN: "EHOSTDOWN", EHOSTUNREACH: "EHOSTUNREACH", EALREADY: "EALREADY", EINPROGRESS: "EINPROGRESS",
    ]

    /// `ETIMEDOUT`, `EMBXILADD`, or `errno <n>` for a value without a known name.
    public static func name(of code: Int32) -> String {
        modbusNames[code] ?? systemNames[code] ?? "errno \(code)"
    }

    /// libmodbus' text for the code (`modbus_strerror`: its own texts, `strerror` for the others).
    public static func message(of code: Int32) -> String {
        String(cString: modbus_strerror(code))
    }

    /// How a failure with this `errno` is counted and handled.
    public static func kind(of code: Int32) -> ModbusError.Kind {
        if code > base, code <= base + 11 {
            return .exception(ModbusExceptionCode(rawValue: UInt8(code - base)))
        }
        switch code {
        case badCRC:
            return .badCRC
        case badData, badException, unknownException, tooMuchData, badSlave:
            return .badResponse
        case ETIMEDOUT:
            return .timeout
        case ECONNREFUSED, ECONNRESET, ECONNABORTED, EPIPE, EBADF, ENOTCONN, ESHUTDOWN, ENETDOWN, ENETUNREACH,
            ENETRESET, EHOSTDOWN, EHOSTUNREACH, ENOTSOCK, ENOENT, ENODEV, ENXIO, EACCES, EIO, EBUSY:
            return .connection
        case EINVAL:
            return .invalidRequest
        default:
            return .other
        }
    }
}

/// Runs one libmodbus call that returns -1 on failure and reads `errno` right after it, before any
/// other call (a log line, an allocation) can overwrite it. Not inlined, so that the optimiser cannot
/// move anything between the call and the read.
@inline(never)
package func modbusCall(_ body: () -> Int32) -> (result: Int32, errno: Int32) {
    let result = body()
    return (result, result == -1 ? Glibc.errno : 0)
}

/// Like `modbusCall`, for the constructors that return NULL on failure (`modbus_new_tcp`, …).
@inline(never)
package func modbusCall(_ body: () -> OpaquePointer?) -> (result: OpaquePointer?, errno: Int32) {
    let result = body()
    return (result, result == nil ? Glibc.errno : 0)
}
