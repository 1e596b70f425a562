import CModbusBare
import Foundation
import Logging
import ServiceLifecycle
import SortgateConfig
import SortgateGateway
import SortgateIngest
import SortgateModbus
import SortgateModbusServer
import Synchronization

/// `LiveMQTT modbus`: the gateway's Modbus polling next to a bare libmodbus client doing the same
/// reads (input registers 1–2 of XY-MD02-style units, what `Devices/xy-md02.yaml` reads per poll),
/// against the same libmodbus servers in this (parent) process, each in its own child process, CPU
/// from each child's first poll (getrusage). Two workloads:
///
/// - a quiet site: `units` units on one connection polled once a second (the bare client reads the
///   units one after the other at each whole second) — CPU per poll, where fixed costs show;
/// - full speed: `connections` connections of `units` units each, every unit due every 5 ms, more
///   than one line can poll on loopback, so each line polls flat out (a 2 ms interval gave the same
///   rate and more timeouts, the timeout being the interval); the bare client: one thread per
///   connection reading in a loop — polls/s and CPU per poll.
enum ModbusPolls {
    static func run(units: Int, connections: Int, seconds: Int, folder: String, profiles: String) throws {
        var logger = Logger(label: "bench-modbus-servers")
        logger.logLevel = .warning
        var maps: [Int: ModbusRegisterMap] = [:]
        for unit in 1...units {
            var map = ModbusRegisterMap()
            map.set(.inputRegisters, address: 1, values: [50, 500])
            maps[unit] = map
        }
        let servers = try (0..<connections).map { _ in try ModbusTCPServer(registerMaps: maps, logger: logger) }
        defer { for server in servers { server.stop() } }
        let ports = servers.map(\.port)
        print("Modbus polls: libmodbus servers in the parent; a bare libmodbus client and the gateway each in a child")
        let workloads: [(name: String, file: String, ports: [Int], poll: String, hz: Int, seconds: Int)] = [
            ("\(units) units on 1 connection, each polled once a second", "quiet", [ports[0]], "1s", 1, seconds * 2),
            ("\(connections) connections × \(units) units, full speed", "full-speed", ports, "5ms", 0, seconds),
        ]
        for workload in workloads {
            let configPath = folder + "/modbus-\(workload.file).yaml"
            try siteConfig(
                ports: workload.ports,
                units: units,
                poll: workload.poll,
                database: folder + "/modbus-\(workload.file).sqlite",
                profiles: profiles
            )
                .write(toFile: configPath, atomically: true, encoding: .utf8)
            let common = ["--units", "\(units)", "--seconds", "\(workload.seconds)"]
            let bare = try runChild(
                ["bare-modbus", "--ports", workload.ports.map(String.init).joined(separator: ","), "--hz", "\(workload.hz)"]
                    + common
            )
            let gateway = try runChild(["gateway-modbus", "--config", configPath] + common)
            let bareCPU = Double(bare.cpuMicroseconds) / Double(max(bare.received, 1))
            let gatewayCPU = Double(gateway.cpuMicroseconds) / Double(max(gateway.received, 1))
            let bareRate = Double(bare.received) / bare.seconds
            let gatewayRate = Double(gateway.received) / gateway.seconds
            print(
                "  \(workload.name), \(workload.seconds) s: bare client \(Int(bareRate)) polls/s, "
                    + "\(format(bareCPU)) µs CPU/poll; gateway \(Int(gatewayRate)) polls/s = "
                    + "\(format(gatewayRate / max(bareRate, 1)))× the bare client's, \(format(gatewayCPU)) µs CPU/poll = "
                    + "\(format(gatewayCPU / max(bareCPU, 0.001)))× (failed polls: bare \(bare.rejected ?? 0), "
                    + "gateway \(gateway.rejected ?? 0))"
            )
        }
    }

    /// One cold room per connection, `units` XY-MD02 sensors on each, polled every `poll`.
    static func siteConfig(ports: [Int], units: Int, poll: String, database: String, profiles: String) -> String {
        var zones = ""
        var devices = ""
        for (index, port) in ports.enumerated() {
            zones += "  room-\(index): {type: cold-room}\n"
            for unit in 1...units {
                devices +=
                    "  - {id: c\(index)-u\(unit), profile: xy-md02, modbus: {host: 127.0.0.1, port: \(port), unit: \(unit)}, "
                    + "poll: \(poll), timeout: \(poll == "1s" ? "500ms" : poll), zone: room-\(index)}\n"
            }
        }
        return """
            site: bench-modbus
            database: {sqlite: \(database)}
            profiles_path: [\(profiles)]
            zones:
            \(zones)devices:
            \(devices)
            """
    }
}

/// The bare client: one thread per port, each with its own libmodbus TCP context, reading input
/// registers 1–2 of units 1…`units` in turn; with `hz` > 0 one round per 1/`hz` s, else flat out.
enum BareModbusClient {
    static func run(ports: [Int], units: Int, hz: Int, seconds: Int) -> SubscriberResult {
        let polls = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let started = Atomic<Int64>(0)
        let cpuStart = Atomic<Int64>(-1)
        let done = DispatchGroup()
        let end = Atomic<Int64>(0)
        for port in ports {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                guard let context = modbus_new_tcp("127.0.0.1", Int32(port)), modbus_connect(context) == 0 else {
                    fatalError("bare Modbus client cannot connect to 127.0.0.1:\(port)")
                }
                defer {
                    modbus_close(context)
                    modbus_free(context)
                }
                var registers = [UInt16](repeating: 0, count: 2)
                var round: Int64 = 0
                while true {
                    let now = monotonicNanoseconds()
                    if end.load(ordering: .relaxed) != 0 && now >= end.load(ordering: .relaxed) { break }
                    for unit in 1...units {
                        modbus_set_slave(context, Int32(unit))
                        let count = modbus_read_input_registers(context, 1, 2, &registers)
                        if count == 2 { polls.add(1, ordering: .relaxed) } else { failures.add(1, ordering: .relaxed) }
                        if cpuStart.load(ordering: .relaxed) < 0 {
                            // The first poll of any thread starts the clock, as the gateway's does.
                            if cpuStart.compareExchange(expected: -1, desired: processCPUMicroseconds(), ordering: .relaxed)
                                .exchanged
                            {
                                let first = monotonicNanoseconds()
                                started.store(first, ordering: .relaxed)
                                end.store(first + Int64(seconds) * 1_000_000_000, ordering: .relaxed)
                            }
                        }
                    }
                    if hz > 0 {
                        round += 1
                        let next = started.load(ordering: .relaxed) + round * 1_000_000_000 / Int64(hz)
                        let wait = next - monotonicNanoseconds()
                        if wait > 0 { usleep(UInt32(wait / 1000)) }
                    }
                }
            }
        }
        done.wait()
        let cpu = processCPUMicroseconds() - max(cpuStart.load(ordering: .relaxed), 0)
        return SubscriberResult(
            received: polls.load(ordering: .relaxed),
            seconds: Double(monotonicNanoseconds() - started.load(ordering: .relaxed)) / 1e9,
            cpuMicroseconds: cpu,
            rejected: UInt64(failures.load(ordering: .relaxed))
        )
    }
}

/// The gateway polling the config's Modbus devices (nothing else configured) for `seconds` from
/// its first poll.
enum ModbusGatewayRun {
    static func run(configPath: String, seconds: Int) async throws -> SubscriberResult {
        var logger = Logger(label: "bench-modbus-gateway")
        logger.logLevel = .error
        let config = try SiteConfig.load(path: configPath)
        let gateway = try Gateway(config: config, options: Gateway.Options(statusInterval: .seconds(3600)), logger: logger)
        let pipeline = gateway.pipeline
        let group = ServiceGroup(configuration: .init(services: [.init(service: gateway)], logger: logger))
        let running = Task { try await group.run() }
        var cpuStart: Int64 = -1
        var startedAt: Int64 = 0
        var pollsAtStart: UInt64 = 0
        var polls: UInt64 = 0
        var endedAt: Int64 = 0
        // Waits for the first poll, then sleeps through the measured window in one go: a look at
        // the status every few milliseconds wakes a Swift task each time, a visible part of a quiet
        // gateway's CPU (README, Benchmarks).
        while cpuStart < 0 {
            try await Task.sleep(for: .milliseconds(20))
            polls = pipeline.counts.session.messages
            if polls > 0 {
                cpuStart = processCPUMicroseconds()
                startedAt = monotonicNanoseconds()
                pollsAtStart = polls
            }
        }
        try await Task.sleep(for: .seconds(seconds))
        polls = pipeline.counts.session.messages
        endedAt = monotonicNanoseconds()
        let cpu = processCPUMicroseconds() - cpuStart
        let failed = gateway.sources.modbus?.statistics.values.reduce(0) { $0 + $1.failedPolls } ?? 0
        await group.triggerGracefulShutdown()
        try await running.value
        return SubscriberResult(
            received: Int(polls - pollsAtStart),
            seconds: Double(endedAt - startedAt) / 1e9,
            cpuMicroseconds: cpu,
            rejected: UInt64(failed)
        )
    }
}
