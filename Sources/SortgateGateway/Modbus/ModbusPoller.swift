public import Logging
public import ServiceLifecycle
public import SortgateConfig
public import SortgateCore
public import SortgateIngest
public import SortgateModbus
import Metrics
import SortgateThreads
import Synchronization

/// Polls the Modbus devices of a site and hands every poll to a sink as a `ModbusPollResult` (the
/// device's id in the site topology; `Gateway` writes it straight into the event ring): one result
/// per read request, with the registers read, or with `error` = the errno name when it failed
/// (`ETIMEDOUT`, `EMBXILADD`, `ECONNREFUSED`, …). Every record of one poll carries the poll's start
/// time (a Modbus reading's time is its poll time).
///
/// ## Lines
/// Devices that share a connection, the same TCP `host:port` (a gateway in front of several units)
/// or the same serial port, form a *line*: they are polled in turn, on one dedicated thread with one
/// `ModbusConnection`, since a Modbus connection carries one request at a time. Each line has its own
/// thread: a device that times out, refuses connections or answers with exceptions only ever holds
/// up its own line, never a device on another connection. On one line, a timing-out device holds the
/// line for its timeout; its backoff keeps that rare.
///
/// ## Schedule and recovery
/// Each device is polled every `poll` period (`ModbusPollSchedule`): a fixed rate while it answers;
/// after a failed poll it backs off (2, 4, 8 … periods, up to `Options.maximumPollBackoff`) and comes
/// back to its period on the first successful poll, by itself. A poll stops at its first timeout or
/// connection failure (the device is not answering: more requests would only hold the line), but
/// goes on after an exception (another block of registers may be fine). A dead connection is
/// reconnected by `ModbusConnection`, with its own backoff.
///
/// ## Sink
/// The sink runs on the line's thread. It may block (a full event ring): that holds up this line only,
/// which is the intended backpressure.
///
/// ## Counters
/// Per device, `statistics(device:)`: polls, failures by kind, late polls (started more than one
/// period late), poll latency (last, min/avg/max, histogram).
///
/// ## Service
/// `run()` starts one thread per line, waits for graceful shutdown (or cancellation), stops the
/// threads (each finishes the request in flight, at most one response timeout) and waits for them.
public final class ModbusPoller: Service, Sendable {
    /// Receives each poll's results, on the line's thread.
    public typealias Sink = @Sendable (ModbusPollResult) -> Void

    /// Tuning shared by every line; the defaults suit a site.
    public struct Options: Sendable, Hashable {
        /// Delays between attempts to reconnect a dead connection (default 100 ms doubling to 30 s).
        public var reconnectBackoff: Backoff.Bounds
        /// The longest wait between polls of a failing device (default 60 s).
        public var maximumPollBackoff: Duration
        /// The read planner's gap rule (`ModbusReadPlan`, default 8 registers).
        public var maximumGap: Int

        public init(
            reconnectBackoff: Backoff.Bounds = Backoff.Bounds(),
            maximumPollBackoff: Duration = .seconds(60),
            maximumGap: Int = ModbusReadPlan.defaultMaximumGap
        ) {
            self.reconnectBackoff = reconnectBackoff
            self.maximumPollBackoff = maximumPollBackoff
            self.maximumGap = maximumGap
        }
    }

    /// One device as the poller sees it.
    struct PolledDevice: Sendable {
        let id: String
        let source: SourceID
        let unit: Int
        let period: Duration
        let timeout: Duration
        let requests: [ModbusReadRequest]
    }

    /// The devices sharing one connection.
    struct Line: Sendable {
        let endpoint: ModbusConnection.Endpoint
        var devices: [PolledDevice]
    }

    let lines: [Line]
    private let options: Options
    private let logger: Logger
    private let sink: Sink
    private let counters: Mutex<[String: ModbusDeviceStatistics]>
    private let started = Mutex(false)

    /// A poller for the Modbus devices of `config` (its MQTT devices are not its business), each
    /// identified by its id in `topology`.
    public convenience init(
        config: SiteConfig,
        topology: SiteTopology,
        options: Options = Options(),
        logger: Logger,
        sink: @escaping Sink
    ) {
        self.init(
            devices: config.devices,
            sources: config.devices.map { topology.source(named: $0.id)! },
            options: options,
            logger: logger,
            sink: sink
        )
    }

    /// A poller for the Modbus devices among `devices`, in order; devices on the same connection
    /// share a line. `sources` are the devices' ids (default: their index in `devices`, which is
    /// what `SiteTopology` gives a site's devices).
    public init(
        devices: [DeviceConfig],
        sources: [SourceID]? = nil,
        options: Options = Options(),
        logger: Logger,
        sink: @escaping Sink
    ) {
        var lines: [Line] = []
        var lineIndex: [String: Int] = [:]
        for (index, device) in devices.enumerated() {
            guard case .modbus(let modbus) = device.connection else {
                continue
            }
            let requests = ModbusReadPlan(registers: device.profile.registers, maximumGap: options.maximumGap).requests
            guard !requests.isEmpty else {
                logger.warning(
                    "Modbus device has no registers to poll; not polled",
                    metadata: ["device": "\(device.id)", "profile": "\(device.profileName)"]
                )
                continue
            }
            let polled = PolledDevice(
                id: device.id,
                source: sources?[index] ?? SourceID(index),
                unit: modbus.unit,
                period: modbus.poll,
                timeout: modbus.timeout,
                requests: requests
            )
            let (key, endpoint) = Self.line(of: modbus.endpoint)
            if let index = lineIndex[key] {
                if lines[index].endpoint != endpoint {
                    // One serial port has one set of line settings: the first device's win.
                    logger.warning(
                        "Modbus device's serial settings differ from the line's first device; using the first's",
                        metadata: ["device": "\(device.id)", "line": "\(lines[index].endpoint)"]
                    )
                }
                lines[index].devices.append(polled)
            } else {
                lineIndex[key] = lines.count
                lines.append(Line(endpoint: endpoint, devices: [polled]))
            }
        }
        self.lines = lines
        self.options = options
        self.logger = logger
        self.sink = sink
        self.counters = Mutex(
            Dictionary(uniqueKeysWithValues: lines.flatMap(\.devices).map { ($0.id, ModbusDeviceStatistics()) })
        )
    }

    /// The ids of the polled devices, in config order per line.
    public var deviceIDs: [String] {
        lines.flatMap { $0.devices.map(\.id) }
    }

    /// The connections polled, each with the ids of its devices.
    public var connections: [(endpoint: String, devices: [String])] {
        lines.map { ($0.endpoint.description, $0.devices.map(\.id)) }
    }

    /// A snapshot of one device's counters; nil for a device the poller does not poll.
    public func statistics(device: String) -> ModbusDeviceStatistics? {
        counters.withLock { $0[device] }
    }

    /// A snapshot of every device's counters.
    public var statistics: [String: ModbusDeviceStatistics] {
        counters.withLock { $0 }
    }

    /// Polls until graceful shutdown or cancellation; see "Service". Runs once.
    public func run() async throws {
        let alreadyStarted = started.withLock { started in
            defer { started = true }
            return started
        }
        precondition(!alreadyStarted, "ModbusPoller.run() called twice; make a new poller")
        let stop = WakeSignal()
        var threads: [DedicatedThread] = []
        do {
            for line in lines {
                threads.append(
                    try DedicatedThread.spawn(name: "modbus \(line.endpoint)", endpoint: line.endpoint.description) {
                        [self] in
                        poll(line, until: stop)
                    }
                )
            }
        } catch {
            stop.signal()
            await DedicatedThread.join(threads)
            throw error
        }
        logger.info(
            "Modbus poller started",
            metadata: ["modbus.connections": "\(lines.count)", "modbus.devices": "\(deviceIDs.count)"]
        )
        // Returns on graceful shutdown, or throws when the task is cancelled: either way, stop.
        try? await gracefulShutdown()
        stop.signal()
        await DedicatedThread.join(threads)
        logger.info("Modbus poller stopped")
    }

    /// The line key and endpoint of a device's connection: one line per TCP `host:port` (host names
    /// compared without case) or serial port path.
    static func line(of endpoint: ModbusEndpoint) -> (key: String, endpoint: ModbusConnection.Endpoint) {
        switch endpoint {
        case .tcp(let host, let port):
            return ("tcp \(host.lowercased()):\(port)", .tcp(host: host, port: port))
        case .serial(let path, let baud, let parity, let dataBits, let stopBits):
            let parity = ModbusConnection.Parity(rawValue: parity.rawValue) ?? .none
            return ("rtu \(path)", .rtu(path: path, baud: baud, parity: parity, dataBits: dataBits, stopBits: stopBits))
        }
    }
}

// MARK: - One line's thread

extension ModbusPoller {
    /// The loop of one line's thread: poll whichever device is due next, until `stop`.
    private func poll(_ line: Line, until stop: WakeSignal) {
        var logger = self.logger
        logger[metadataKey: "modbus.connection"] = "\(line.endpoint)"
        let connection = ModbusConnection(
            configuration: ModbusConnection.Configuration(
                endpoint: line.endpoint,
                responseTimeout: line.devices.map(\.timeout).max() ?? .milliseconds(500),
                reconnectBackoff: options.reconnectBackoff
            ),
            logger: logger
        )
        defer { connection.close() }
        let start = ContinuousClock.now
        var schedules = line.devices.map {
            ModbusPollSchedule(period: $0.period, maximumBackoff: options.maximumPollBackoff, firstDue: start)
        }
        // Successful polls' durations, per device: `sortgate_modbus_poll_duration_seconds{source}`.
        let pollDuration = line.devices.map {
            Metrics.Timer(label: "sortgate_modbus_poll_duration_seconds", dimensions: [("source", $0.id)])
        }
        while true {
            let index = schedules.indices.min { schedules[$0].due < schedules[$1].due }!
            if stop.wait(until: schedules[index].due) {
                return
            }
            let device = line.devices[index]
            let startedAt = ContinuousClock.now
            let isLate = schedules[index].isLate(startedAt: startedAt)
            let pollTime = EventTime.wallClockNow()
            var failures: [ModbusError] = []
            var requestsSent = 0
            for request in device.requests {
                requestsSent += 1
                let table = ModbusTable(rawValue: request.table.rawValue)!
                let poll: CaptureRecord.ModbusPoll
                // A timeout or a lost connection ends this device's poll: its other requests would
                // only wait for the same silence.
                var givesUp = false
                do {
                    let values = try connection.read(
                        table,
                        unit: device.unit,
                        address: request.address,
                        count: request.count,
                        timeout: device.timeout
                    )
                    poll = CaptureRecord.ModbusPoll(table: table.rawValue, address: request.address, registers: values)
                } catch {
                    var error = error
                    error.device = device.id
                    failures.append(error)
                    poll = CaptureRecord.ModbusPoll(
                        table: table.rawValue,
                        address: request.address,
                        error: error.errnoName
                    )
                    givesUp = error.kind == .timeout || error.kind == .connection
                }
                sink(ModbusPollResult(source: device.source, device: device.id, time: pollTime, poll: poll))
                if givesUp {
                    break
                }
            }
            let finishedAt = ContinuousClock.now
            let previousFailures = schedules[index].consecutiveFailures
            var retryDelay: Duration?
            if failures.isEmpty {
                schedules[index].recordSuccess(finishedAt: finishedAt)
            } else {
                retryDelay = schedules[index].recordFailure(finishedAt: finishedAt)
            }
            let consecutiveFailures = schedules[index].consecutiveFailures
            // In place (the dictionary's `default:` subscript modifies its value where it is): a copy
            // taken out and stored back would make the latency histogram copy its buckets every poll.
            func update(_ statistics: inout ModbusDeviceStatistics) -> ModbusError? {
                let previousError = statistics.lastError
                statistics.polls += 1
                statistics.requests += requestsSent
                statistics.failedRequests += failures.count
                statistics.latePolls += isLate ? 1 : 0
                statistics.consecutiveFailures = consecutiveFailures
                statistics.lastPollTime = pollTime
                if failures.isEmpty {
                    let latency = startedAt.duration(to: finishedAt)
                    statistics.lastPollLatency = latency
                    statistics.latency.record(latency)
                    pollDuration[index].record(duration: latency)
                } else {
                    statistics.failedPolls += 1
                    for failure in failures {
                        statistics.failures[failure.kind, default: 0] += 1
                    }
                    statistics.lastError = failures.last
                }
                return previousError
            }
            let previousError = counters.withLock { update(&$0[device.id, default: ModbusDeviceStatistics()]) }
            report(
                failures,
                retryDelay: retryDelay,
                previousFailures: previousFailures,
                previousError: previousError,
                device: device.id,
                logger: logger
            )
        }
    }

    /// Logs a device's failures without flooding: a warning when it starts failing or fails in a new
    /// way, debug while it keeps failing the same way, info when it recovers.
    private func report(
        _ failures: [ModbusError],
        retryDelay: Duration?,
        previousFailures: Int,
        previousError: ModbusError?,
        device: String,
        logger: Logger
    ) {
        guard let last = failures.last, let retryDelay else {
            if previousFailures > 0 {
                logger.info(
                    "Modbus device '\(device)' answers again after \(previousFailures) failed poll(s)",
                    metadata: ["device": "\(device)"]
                )
            }
            return
        }
        let message: Logger.Message = "\(last); retrying in \(retryDelay.logText)"
        let isNewKind = previousFailures == 0 || previousError?.kind != last.kind
        logger.log(
            level: isNewKind ? .warning : .debug,
            message,
            metadata: [
                "device": "\(device)", "modbus.failure": "\(last.kind.label)", "modbus.errno": "\(last.errnoName)",
            ]
        )
    }
}
