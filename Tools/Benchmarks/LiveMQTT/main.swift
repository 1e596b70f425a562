import Foundation
import SortgateTestSupport

// The live MQTT benchmark (issue 6, items 3 and 5): one real mosquitto on a free loopback port,
// and for QoS 0 and QoS 1 in the same run, the same backlog of N realistic reader messages
// drained by (a) a bare libmosquitto subscriber that only counts — the ceiling on this machine —
// and (b) the gateway: MQTT source → event ring → decode + dedup + state → SQLite.
//
// Each subscriber first subscribes with a persistent session and leaves; a libmosquitto
// publisher then publishes the N messages, which the broker queues (`max_queued_messages`
// raised, `queue_qos0_messages`); then the subscriber reconnects and drains them as fast as it
// can. So both see exactly the same delivery from the broker, and the figures are its
// sustained receive rate, not the publisher's. Every role runs in its own child process, so CPU
// time is the child's own (getrusage), counted from its connection to its last message
// (the gateway: to the commit of the batch holding its last message).
//
// Then arrival → committed latency under a steady load: the gateway stays connected while the
// publisher sends min(N, 10 × rate) messages at `--rate` messages per second. Meanwhile cold-chain
// alerts happen (`ColdRooms`: 4 Modbus sensors polled every 200 ms, excursions confirmed after 1 s,
// an `alerts: {mqtt: …}` route on the same broker), and the gateway child measures the arrival of
// each alert's confirming reading → the alert received by a subscriber on the alert topic.
//
// With `--central`, the steady phase's gateway also ships to a real PostgreSQL (initdb + pg_ctl on
// loopback, started here as the tests' `PostgresServer` does), and the shipping lag is reported:
// each batch's local commit → its central transaction's commit, as the shipper records it
// (`sortgate_central_ship_lag_seconds`).
//
//   swift run -c release --package-path Tools/Benchmarks LiveMQTT [--messages 200000] [--tags 100000] [--qos 0,1] [--rate 10000] [--central]
//
// `LiveMQTT per-fact [--rates 1000,10000] [--seconds 10] [--qos 0]` measures CPU per message and per fact
// at paced rates, every message a new EPC, next to a bare subscriber at the same rates.
// `LiveMQTT modbus [--units 50] [--connections 8] [--seconds 10]` measures Modbus polling next to a bare
// libmodbus client (ModbusPolls).
// `LiveMQTT http-load` measures the HTTP API's cost to ingestion instead (`HTTPLoad`, `make bench-http`).

let arguments = Array(CommandLine.arguments.dropFirst())

func option(_ name: String, _ fallback: String) -> String {
    guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return fallback }
    return arguments[index + 1]
}

let messages = Int(option("messages", "200000"))!
let tags = Int(option("tags", "100000"))!
let idleSeconds = Double(option("idle", "10"))!

if arguments.first == "child" {
    let role = arguments[1]
    let port = Int(option("port", "0"))!
    let qos = Int(option("qos", "0"))!
    let result: SubscriberResult
    switch role {
    case "publish":
        let rate = Int(option("rate", "0")).flatMap { $0 > 0 ? $0 : nil }
        let seconds = Publisher.run(
            port: port,
            qos: qos,
            workload: Workload(messages: messages, tags: tags),
            rate: rate
        )
        result = SubscriberResult(received: messages, seconds: seconds, cpuMicroseconds: processCPUMicroseconds())
    case "bare-prime", "bare-drain":
        result = BareSubscriber().run(
            port: port,
            clientID: "bench-bare-q\(qos)",
            qos: qos,
            expected: messages,
            primeOnly: role == "bare-prime",
            idle: idleSeconds
        )
    case "gateway-prime", "gateway-drain":
        result = try await GatewayRun.run(
            configPath: option("config", ""),
            expected: messages,
            primeOnly: role == "gateway-prime",
            idle: idleSeconds,
            poll: .milliseconds(Int(option("poll", "5"))!)
        )
    case "bare-modbus":
        result = BareModbusClient.run(
            ports: option("ports", "").split(separator: ",").map { Int($0)! },
            units: Int(option("units", "50"))!,
            hz: Int(option("hz", "0"))!,
            seconds: Int(option("seconds", "10"))!
        )
    case "gateway-modbus":
        result = try await ModbusGatewayRun.run(configPath: option("config", ""), seconds: Int(option("seconds", "10"))!)
    default:
        fatalError("unknown role \(role)")
    }
    let line = try JSONEncoder().encode(result)
    FileHandle.standardOutput.write(line + Data("\n".utf8))
    exit(0)
}

let qosLevels = option("qos", "0,1").split(separator: ",").map { Int($0)! }
let paceRate = Int(option("rate", "10000"))!
let central = arguments.contains("--central") ? try PostgresServer() : nil
defer { central?.remove() }
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path
let folder = NSTemporaryDirectory() + "sortgate-live-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: folder) }

if arguments.first == "http-load" {
    try HTTPLoad(
        rate: paceRate,
        seconds: Int(option("seconds", "30"))!,
        httpRate: Int(option("http-rate", "1000"))!,
        tags: tags,
        repository: repository,
        folder: folder
    ).run()
    try? FileManager.default.removeItem(atPath: folder)
    exit(0)
}

if arguments.first == "modbus" {
    try ModbusPolls.run(
        units: Int(option("units", "50"))!,
        connections: Int(option("connections", "8"))!,
        seconds: Int(option("seconds", "10"))!,
        folder: folder,
        profiles: repository + "/Devices"
    )
    try? FileManager.default.removeItem(atPath: folder)
    exit(0)
}

if arguments.first == "per-fact" {
    try perFact(rates: option("rates", "1000,10000").split(separator: ",").map { Int($0)! },
                seconds: Int(option("seconds", "10"))!, qos: Int(option("qos", "0"))!)
    try? FileManager.default.removeItem(atPath: folder)
    exit(0)
}

/// The site config of the RFID readers only (`Workload.siteConfig`) on `broker`, written as
/// `site-<name>.yaml` with its database in `data-<name>/`.
func readerSite(_ name: String, broker: Broker, qos: Int) throws -> (config: String, data: String) {
    let dataFolder = folder + "/data-\(name)"
    try FileManager.default.createDirectory(atPath: dataFolder, withIntermediateDirectories: true)
    let configPath = folder + "/site-\(name).yaml"
    try Workload.siteConfig(port: broker.port, qos: qos, folder: dataFolder, profiles: repository + "/Devices")
        .write(toFile: configPath, atomically: true, encoding: .utf8)
    return (configPath, dataFolder)
}

/// The options every child of one run gets.
func childOptions(broker: Broker, qos: Int, messages: Int, tags: Int) -> [String] {
    ["--port", "\(broker.port)", "--qos", "\(qos)", "--messages", "\(messages)", "--tags", "\(tags)"]
}

/// CPU per message and per fact at paced rates, every message a new EPC (so every read is an
/// arrival written to SQLite): a bare libmosquitto subscriber and the gateway (MQTT readers only:
/// no Modbus, no alert route) each connected while the publisher sends `rate` msg/s for
/// `seconds`; each child's CPU from its first message to its last (the gateway: to the commit of
/// the batch holding it).
func perFact(rates: [Int], seconds: Int, qos: Int) throws {
    print("CPU per fact at paced rates: every message a new EPC (each read an arrival), QoS \(qos), \(seconds) s per rate")
    for rate in rates {
        let count = rate * seconds
        let broker = try Broker(folder: folder + "/broker-rate\(rate)", queued: count + 1000)
        defer { broker.stop() }
        let (configPath, _) = try readerSite("rate\(rate)", broker: broker, qos: qos)
        let common = childOptions(broker: broker, qos: qos, messages: count, tags: count)
        var results: [String: SubscriberResult] = [:]
        for kind in ["bare", "gateway"] {
            let extra = kind == "gateway" ? ["--config", configPath] : []
            // The gateway child looks at its status every 250 ms, not every 5 ms: each look wakes a
            // Swift task, a visible part of the gateway's CPU at 1 000 msg/s (README, Benchmarks).
            let child = try startChild(["\(kind)-drain"] + common + extra + ["--idle", "\(idleSeconds)", "--poll", "250"])
            usleep(2_000_000)
            _ = try runChild(["publish"] + common + ["--rate", "\(rate)"])
            results[kind] = try child.result()
        }
        let bare = results["bare"]!
        let gateway = results["gateway"]!
        let bareCPU = Double(bare.loadCPUMicroseconds ?? 0) / Double(max(bare.received, 1))
        let gatewayCPU = Double(gateway.loadCPUMicroseconds ?? 0) / Double(max(gateway.received, 1))
        let facts = gateway.facts ?? 0
        print(
            "  \(rate) msg/s: bare subscriber \(format(bareCPU)) µs CPU/msg (received \(bare.received)); "
                + "gateway \(format(gatewayCPU)) µs CPU/msg = \(format(gatewayCPU / max(bareCPU, 0.001)))× the bare "
                + "subscriber's, \(format(Double(gateway.loadCPUMicroseconds ?? 0) / Double(max(facts, 1)))) µs CPU per fact "
                + "(\(facts) facts, received \(gateway.received), lost \(count - gateway.received)); "
                + "\(gateway.flushes ?? 0) flushes; arrival → committed p99 "
                + "\(format(Double(gateway.commitP99Microseconds ?? 0) / 1000)) ms"
        )
    }
}

print("live MQTT end to end: \(messages) messages over \(tags) EPCs, 8 readers (Impinj R700 / Zebra FX9600 payloads)")
for qos in qosLevels {
    let broker = try Broker(folder: folder + "/broker-q\(qos)", queued: messages + 1000)
    defer { broker.stop() }
    let (configPath, dataFolder) = try readerSite("q\(qos)", broker: broker, qos: qos)
    let common = childOptions(broker: broker, qos: qos, messages: messages, tags: tags)

    var results: [String: SubscriberResult] = [:]
    for kind in ["bare", "gateway"] {
        let extra = kind == "gateway" ? ["--config", configPath] : []
        _ = try runChild(["\(kind)-prime"] + common + extra)
        let published = try runChild(["publish"] + common)
        print(
            "  QoS \(qos) \(kind): published \(messages) in \(format(published.seconds)) s "
                + "(\(Int(Double(messages) / published.seconds)) msg/s); draining"
        )
        results[kind] = try runChild(["\(kind)-drain"] + common + extra + ["--idle", "\(idleSeconds)"])
    }
    // Latency under a steady load: the gateway connected while the publisher sends at `paceRate`.
    let pacedMessages = min(messages, paceRate * 10)
    let paced = childOptions(broker: broker, qos: qos, messages: pacedMessages, tags: tags)
    let coldRooms = try ColdRooms()
    let steadyConfigPath = folder + "/site-q\(qos)-steady.yaml"
    // Shipping starts from an empty database: the drain phase's history would be a first catch-up.
    let steadyDataFolder = central == nil ? dataFolder : folder + "/data-q\(qos)-central"
    try FileManager.default.createDirectory(atPath: steadyDataFolder, withIntermediateDirectories: true)
    try Workload.siteConfig(
        port: broker.port,
        qos: qos,
        folder: steadyDataFolder,
        profiles: repository + "/Devices",
        coldRooms: coldRooms.port,
        central: central.map { (url: $0.url(), passwordFile: $0.passwordFile) }
    ).write(toFile: steadyConfigPath, atomically: true, encoding: .utf8)
    let live = try startChild(["gateway-drain"] + paced + ["--config", steadyConfigPath, "--idle", "\(idleSeconds)"])
    usleep(2_000_000)
    _ = try runChild(["publish"] + paced + ["--rate", "\(paceRate)"])
    let steady = try live.result()
    coldRooms.stop()
    let bare = results["bare"]!
    let gateway = results["gateway"]!
    let bareRate = Double(bare.received) / bare.seconds
    let gatewayRate = Double(gateway.received) / gateway.seconds
    let bareCPU = Double(bare.cpuMicroseconds) / Double(max(bare.received, 1))
    let gatewayCPU = Double(gateway.cpuMicroseconds) / Double(max(gateway.received, 1))
    print("QoS \(qos):")
    print(
        "  bare libmosquitto subscriber (ceiling): \(Int(bareRate)) msg/s, CPU \(format(bareCPU)) µs/msg, "
            + "lost \(messages - bare.received)"
    )
    print(
        "  gateway (ring + decode + dedup + SQLite): \(Int(gatewayRate)) msg/s = \(format(100 * gatewayRate / bareRate)) % "
            + "of the ceiling, CPU \(format(gatewayCPU)) µs/msg = \(format(gatewayCPU / bareCPU))× the bare subscriber's, "
            + "lost \(messages - gateway.received)"
    )
    print(
        "  gateway arrival → committed: p50 \(format(Double(gateway.commitP50Microseconds ?? 0) / 1000)) ms, "
            + "p99 \(format(Double(gateway.commitP99Microseconds ?? 0) / 1000)) ms, "
            + "max \(format(Double(gateway.commitMaxMicroseconds ?? 0) / 1000)) ms; "
            + "ring high water \(gateway.ringHighWaterSlots ?? 0) slots, dropped \(gateway.ringDropped ?? 0), "
            + "rejected \(gateway.rejected ?? 0), arrivals \(gateway.arrivals ?? 0) (a drained backlog: the ring stays full)"
    )
    print(
        "  gateway at a steady \(paceRate) msg/s (\(pacedMessages) messages): arrival → committed "
            + "p50 \(format(Double(steady.commitP50Microseconds ?? 0) / 1000)) ms, "
            + "p99 \(format(Double(steady.commitP99Microseconds ?? 0) / 1000)) ms, "
            + "max \(format(Double(steady.commitMaxMicroseconds ?? 0) / 1000)) ms; "
            + "CPU \(format(Double(steady.cpuMicroseconds) / Double(max(steady.received, 1)))) µs/msg, "
            + "lost \(pacedMessages - steady.received), ring high water \(steady.ringHighWaterSlots ?? 0) slots; "
            + "\(steady.flushes ?? 0) flushes, p99 \(format(Double(steady.flushP99Microseconds ?? 0) / 1000)) ms, "
            + "max \(format(Double(steady.flushMaxMicroseconds ?? 0) / 1000)) ms"
    )
    print(
        "  gateway at a steady \(paceRate) msg/s: confirming temperature reading's arrival → alert received on "
            + "\(Workload.alertTopic) (\(ColdRooms.sensors) Modbus sensors and their zones, poll 200 ms, alarm delay 1 s, "
            + "QoS 1 route): \(steady.alertsRaised ?? 0) raised + \(steady.alertsCleared ?? 0) cleared"
            + ((steady.alertsOther ?? 0) > 0 ? " + \(steady.alertsOther ?? 0) other" : "") + ", "
            + "p50 \(format(Double(steady.alertP50Microseconds ?? 0) / 1000)) ms, "
            + "p99 \(format(Double(steady.alertP99Microseconds ?? 0) / 1000)) ms, "
            + "max \(format(Double(steady.alertMaxMicroseconds ?? 0) / 1000)) ms"
    )
    if let shipped = steady.shippedBatches {
        print(
            "  gateway at a steady \(paceRate) msg/s shipping to PostgreSQL: local commit → central commit "
                + "p50 \(format(Double(steady.shipLagP50Microseconds ?? 0) / 1000)) ms, "
                + "p99 \(format(Double(steady.shipLagP99Microseconds ?? 0) / 1000)) ms, "
                + "max \(format(Double(steady.shipLagMaxMicroseconds ?? 0) / 1000)) ms over \(shipped) batches "
                + "(\(steady.shippedRows ?? 0) rows), \(steady.unshippedBatches ?? 0) left unshipped"
        )
    }
}

func format(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.1f", value) }

/// A child started in the background.
struct RunningChild {
    let process: Process
    let output: Pipe
    let role: String

    func result() throws -> SubscriberResult {
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = data.split(separator: UInt8(ascii: "\n")).last else {
            throw BenchmarkError("child \(role) failed with status \(process.terminationStatus)")
        }
        return try JSONDecoder().decode(SubscriberResult.self, from: Data(line))
    }
}

/// Runs this executable as a child in `role`, returning the result line it printed.
func runChild(_ childArguments: [String]) throws -> SubscriberResult {
    try startChild(childArguments).result()
}

/// Starts this executable as a child in `role`.
func startChild(_ childArguments: [String]) throws -> RunningChild {
    let process = Process()
    let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    // LIVEMQTT_PROFILE=FILE records the gateway's drain with `perf record -g` into FILE-q<QoS> (the Modbus
    // runs: FILE-modbus-<config>).
    if let profile = ProcessInfo.processInfo.environment["LIVEMQTT_PROFILE"],
        childArguments.first == "gateway-drain" || childArguments.first == "gateway-modbus"
    {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/perf")
        let suffix = childArguments.firstIndex(of: "--qos").map { "q" + childArguments[$0 + 1] }
            ?? "modbus-" + URL(fileURLWithPath: childArguments[childArguments.firstIndex(of: "--config")! + 1])
                .deletingPathExtension().lastPathComponent
        process.arguments =
            ["record", "-g", "-q", "-o", "\(profile)-\(suffix)", "--", executable.path, "child"] + childArguments
    } else {
        process.executableURL = executable
        process.arguments = ["child"] + childArguments
    }
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    return RunningChild(process: process, output: output, role: childArguments.first!)
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
