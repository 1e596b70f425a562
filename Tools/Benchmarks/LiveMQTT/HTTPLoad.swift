import Foundation

/// The HTTP API's cost to ingestion (issue 12): the gateway, with `http:` in its config so that
/// `Gateway` runs the HTTP service in its group as `sortgate run` does, ingests a steady `rate`
/// msg/s for `seconds` while `wrk` (one thread, 4 connections per endpoint, paced by
/// `Tools/Benchmarks/wrk/paced.lua`) requests `/metrics` and `/api/inventory?limit=100`, each at
/// half of `httpRate`; then the same ingestion without wrk, as the baseline. Each run has its own
/// mosquitto and database.
///
///   swift run -c release --package-path Tools/Benchmarks LiveMQTT http-load [--rate 10000] [--seconds 30] [--http-rate 1000]
struct HTTPLoad {
    static let endpoints = ["/metrics", "/api/inventory?limit=100"]
    static let connections = 4
    /// Arrival → committed p99 the issue allows under HTTP load.
    static let latencyBudgetMilliseconds = 250.0

    let rate: Int
    let seconds: Int
    let httpRate: Int
    let tags: Int
    let repository: String
    let folder: String

    /// What one wrk process measured on one endpoint.
    struct EndpointResult {
        var path: String
        var requests: Int
        var seconds: Double
        var p50Microseconds: Int
        var p99Microseconds: Int
        var maxMicroseconds: Int
        var errors: Int
    }

    func run() throws {
        print(
            "HTTP API under load: the gateway ingests \(rate) msg/s for \(seconds) s (QoS 0, \(tags) EPCs, "
                + "8 readers) while wrk requests \(Self.endpoints.joined(separator: " and ")) at "
                + "\(httpRate / Self.endpoints.count) req/s each; then the same without wrk"
        )
        for withHTTPLoad in [true, false] {
            let name = withHTTPLoad ? "with HTTP load" : "baseline (http: configured, no requests)"
            let (steady, published, endpoints) = try measure(withHTTPLoad: withHTTPLoad)
            let p99 = Double(steady.commitP99Microseconds ?? 0) / 1000
            print("\(name):")
            print(
                "  ingestion: published \(Int(Double(published.received) / published.seconds)) msg/s, "
                    + "committed \(steady.received) of \(published.received) messages; arrival → committed "
                    + "p50 \(format(Double(steady.commitP50Microseconds ?? 0) / 1000)) ms, p99 \(format(p99)) ms, "
                    + "max \(format(Double(steady.commitMaxMicroseconds ?? 0) / 1000)) ms "
                    + "(p99 \(p99 <= Self.latencyBudgetMilliseconds ? "within" : "OVER") the "
                    + "\(Int(Self.latencyBudgetMilliseconds)) ms budget); ring high water "
                    + "\(steady.ringHighWaterSlots ?? 0) slots, dropped \(steady.ringDropped ?? 0); CPU "
                    + "\(format(Double(steady.cpuMicroseconds) / Double(max(steady.received, 1)))) µs/msg"
            )
            for endpoint in endpoints {
                print(
                    "  wrk \(endpoint.path): \(endpoint.requests) requests, "
                        + "\(format(Double(endpoint.requests) / endpoint.seconds)) req/s; latency "
                        + "p50 \(format(Double(endpoint.p50Microseconds) / 1000)) ms, "
                        + "p99 \(format(Double(endpoint.p99Microseconds) / 1000)) ms, "
                        + "max \(format(Double(endpoint.maxMicroseconds) / 1000)) ms; errors \(endpoint.errors)"
                )
            }
        }
    }

    /// One run: a fresh broker and database, the gateway child (with `http:`), the paced publisher
    /// and, with `withHTTPLoad`, one wrk per endpoint for the publisher's duration.
    private func measure(
        withHTTPLoad: Bool
    ) throws -> (steady: SubscriberResult, published: SubscriberResult, endpoints: [EndpointResult]) {
        let label = withHTTPLoad ? "load" : "baseline"
        let messages = rate * seconds
        let broker = try Broker(folder: folder + "/broker-\(label)", queued: messages + 1000)
        defer { broker.stop() }
        let dataFolder = folder + "/data-\(label)"
        try FileManager.default.createDirectory(atPath: dataFolder, withIntermediateDirectories: true)
        let httpPort = try Broker.freePort()
        let configPath = folder + "/site-\(label).yaml"
        try (Workload.siteConfig(port: broker.port, qos: 0, folder: dataFolder, profiles: repository + "/Devices")
            + "http: {bind: 127.0.0.1, port: \(httpPort)}\n")
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let common = ["--port", "\(broker.port)", "--qos", "0", "--messages", "\(messages)", "--tags", "\(tags)"]
        let gateway = try startChild(["gateway-drain"] + common + ["--config", configPath, "--idle", "10"])
        var polls = 0
        while !Broker.accepts(httpPort) {
            polls += 1
            guard polls < 500 else { throw BenchmarkError("the gateway's HTTP API did not listen on 127.0.0.1:\(httpPort) within 10 s") }
            usleep(20_000)
        }
        usleep(2_000_000)
        let load = withHTTPLoad ? try Self.endpoints.map { try startWrk(port: httpPort, path: $0) } : []
        let published = try runChild(["publish"] + common + ["--rate", "\(rate)"])
        let endpoints = try load.map { try $0.result() }
        return (try gateway.result(), published, endpoints)
    }

    /// A wrk process on one endpoint, paced to this endpoint's share of `httpRate`.
    private func startWrk(port: Int, path: String) throws -> RunningWrk {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        process.arguments = [
            "-t1", "-c\(Self.connections)", "-d\(seconds)s", "--timeout", "5s",
            "-s", repository + "/Tools/Benchmarks/wrk/paced.lua",
            "http://127.0.0.1:\(port)\(path)", "--", "\(httpRate / Self.endpoints.count)", "\(Self.connections)",
        ]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        return RunningWrk(process: process, output: output, path: path)
    }

    /// A wrk started in the background; its result is the `wrk-result` line `paced.lua` prints.
    struct RunningWrk {
        let process: Process
        let output: Pipe
        let path: String

        func result() throws -> EndpointResult {
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            guard process.terminationStatus == 0,
                let line = text.split(separator: "\n").last(where: { $0.hasPrefix("wrk-result ") })
            else { throw BenchmarkError("wrk on \(path) failed with status \(process.terminationStatus):\n\(text)") }
            var fields: [String: Int] = [:]
            for field in line.split(separator: " ").dropFirst() {
                let pair = field.split(separator: "=")
                if pair.count == 2 { fields[String(pair[0])] = Int(pair[1]) }
            }
            return EndpointResult(
                path: path,
                requests: fields["requests"] ?? 0,
                seconds: Double(fields["duration_us"] ?? 1) / 1e6,
                p50Microseconds: fields["p50_us"] ?? 0,
                p99Microseconds: fields["p99_us"] ?? 0,
                maxMicroseconds: fields["max_us"] ?? 0,
                errors: fields["errors"] ?? 0
            )
        }
    }
}
