public import SortgateModbus

extension ModbusTCPServer {
    /// One request as a client sent it.
    public struct Request: Sendable, Hashable, CustomStringConvertible {
        /// The unit id of the MBAP header: which device behind the server it is for.
        public var unit: Int
        public var functionCode: UInt8
        /// The table a read function reads; nil for any other function (writes, diagnostics).
        public var table: ModbusTable?
        /// The first address and the count of values, for the read functions (0 for the others).
        public var address: Int
        public var count: Int

        public init(unit: Int, functionCode: UInt8, table: ModbusTable?, address: Int, count: Int) {
            self.unit = unit
            self.functionCode = functionCode
            self.table = table
            self.address = address
            self.count = count
        }

        public var description: String {
            if let table {
                return "unit \(unit): read \(table) \(address)..\(address + max(count, 1) - 1)"
            }
            return "unit \(unit): function 0x\(String(functionCode, radix: 16))"
        }
    }

    /// What the server does with a request; the request handler decides it per request.
    public indirect enum Response: Sendable, Hashable {
        /// Answer from the unit's register map: the values, exception 0x02 (illegal data address) when
        /// the map lacks one of them, 0x03 for a count over the protocol's limit, 0x01 for a function
        /// other than the four reads, and **no answer at all for a unit id without a map**: a unit
        /// that is not there stays silent, as on a serial line. (A real TCP-to-RTU gateway would
        /// answer 0x0B "gateway target failed to respond"; a handler can say so with `.exception`.)
        case registerMap
        /// Answer with these values (one per requested address; 0/1 for bits).
        case values([UInt16])
        /// Answer with an exception response.
        case exception(ModbusExceptionCode)
        /// Read the request and never answer: an offline device behind a gateway.
        case noAnswer
        /// Wait, then do what the inner response says: a slow device. The connection's thread waits;
        /// other connections are not affected.
        case delayed(Duration, Response)
    }

    /// Decides what to answer to one request. Called on the connection's own thread, so it may
    /// block that connection (a delay) without affecting the others.
    public typealias RequestHandler = @Sendable (Request) -> Response

    /// Counters of the server, read with `statistics`.
    public struct Statistics: Sendable, Hashable {
        /// Client connections accepted so far, and those open now.
        public var connectionsAccepted = 0
        public var openConnections = 0
        /// Requests received, and how they were answered.
        public var requests = 0
        public var valueReplies = 0
        public var exceptionReplies = 0
        public var unanswered = 0
    }
}
