public import SortgateConfig

/// One read request of a device's poll: `count` values of `table` from `address` on, covering the
/// register specs in `registers`.
public struct ModbusReadRequest: Sendable, Hashable {
    public var table: RegisterTable
    public var address: Int
    public var count: Int
    /// The specs whose values this request reads, by address.
    public var registers: [RegisterSpec]

    public init(table: RegisterTable, address: Int, count: Int, registers: [RegisterSpec]) {
        self.table = table
        self.address = address
        self.count = count
        self.registers = registers
    }

    /// One past the last address read.
    public var end: Int { address + count }
}

/// The read requests that poll a device's registers: per table, as few contiguous requests as
/// possible, each within the protocol's limit (125 registers, 2000 bits).
///
/// ## Gap rule
/// Registers of one table are sorted by address and read together while the unused addresses
/// between two of them are at most `maximumGap` (8 by default): a few unread registers cost a few
/// bytes of an answer, a second request costs a whole round trip (on a 9600-baud line, ~25 ms). A
/// larger gap is not bridged, because a device may not have the registers in between and would
/// answer the whole request with "illegal data address". Registers that overlap or touch always
/// merge. A request never grows past the limit: the next register then starts a new one.
///
/// Tables come in the order the profile first names them; within a table, by address. Pure: same
/// registers, same plan.
public struct ModbusReadPlan: Sendable, Hashable {
    /// The default `maximumGap`.
    public static let defaultMaximumGap = 8

    public var requests: [ModbusReadRequest]

    /// Plans the requests that read `registers`.
    public init(registers: [RegisterSpec], maximumGap: Int = ModbusReadPlan.defaultMaximumGap) {
        precondition(maximumGap >= 0, "a gap is a count of registers")
        var tables: [RegisterTable] = []
        for spec in registers where !tables.contains(spec.table) {
            tables.append(spec.table)
        }
        var requests: [ModbusReadRequest] = []
        for table in tables {
            let limit = table == .coil || table == .discrete ? 2000 : 125
            let specs = registers.filter { $0.table == table }.sorted {
                ($0.address, $0.span) < ($1.address, $1.span)
            }
            var current: ModbusReadRequest?
            for spec in specs {
                let specEnd = spec.address + spec.span
                if var request = current, spec.address - request.end <= maximumGap,
                    max(request.end, specEnd) - request.address <= limit
                {
                    request.count = max(request.end, specEnd) - request.address
                    request.registers.append(spec)
                    current = request
                } else {
                    if let request = current {
                        requests.append(request)
                    }
                    current = ModbusReadRequest(
                        table: table,
                        address: spec.address,
                        count: spec.span,
                        registers: [spec]
                    )
                }
            }
            if let request = current {
                requests.append(request)
            }
        }
        self.requests = requests
    }
}
