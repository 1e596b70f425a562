public import SortgateCore

extension ModbusConnection {
    /// Serial line parity, as libmodbus takes it.
    public enum Parity: String, Sendable, Hashable, CaseIterable {
        case none = "N"
        case even = "E"
        case odd = "O"
    }

    /// Where the device (or the gateway in front of several devices) is.
    public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// Modbus TCP. `host` is a name or a numeric IPv4/IPv6 address, resolved on every connect.
        case tcp(host: String, port: Int)
        /// Modbus RTU on a local serial port (RS-485 adapter), e.g. `/dev/ttyUSB0`, 9600 8N1.
        case rtu(path: String, baud: Int, parity: Parity, dataBits: Int, stopBits: Int)

        /// `127.0.0.1:1502` or `/dev/ttyUSB0`: how errors and logs name the endpoint.
        public var description: String {
            switch self {
            case .tcp(let host, let port):
                host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .rtu(let path, _, _, _, _):
                path
            }
        }
    }

    /// How to reach a Modbus endpoint and how long to wait for it.
    public struct Configuration: Sendable, Hashable {
        public var endpoint: Endpoint
        /// How long to wait for the first byte of an answer, and for a TCP connection to be accepted;
        /// default 500 ms. Sub-second on purpose: a device that has not answered by then is not going
        /// to, and every moment waited holds the line for the other devices on it. A request may
        /// override it (`read(...timeout:)`).
        public var responseTimeout: Duration
        /// Delays between connection attempts after failed ones: 100 ms doubling up to 30 s by default.
        public var reconnectBackoff: Backoff.Bounds

        public init(
            endpoint: Endpoint,
            responseTimeout: Duration = .milliseconds(500),
            reconnectBackoff: Backoff.Bounds = Backoff.Bounds()
        ) {
            self.endpoint = endpoint
            self.responseTimeout = responseTimeout
            self.reconnectBackoff = reconnectBackoff
        }
    }

    /// Counters of one connection, read with `statistics`.
    public struct Statistics: Sendable, Hashable {
        /// Connections made (the first one included).
        public var connects = 0
        /// Connection attempts that failed.
        public var failedConnects = 0
        /// Connections closed because a request timed out (TCP), so that a late answer could not be
        /// taken for the next request's.
        public var closesAfterTimeout = 0
        /// Connections closed because the peer closed or reset them, or a send failed.
        public var connectionsLost = 0
        /// Read requests sent, and those that got their data.
        public var requests = 0
        public var successfulRequests = 0
        /// True while a context is open.
        public var isConnected = false
    }
}
