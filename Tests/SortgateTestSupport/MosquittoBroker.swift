public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real mosquitto broker for one test, on free loopback ports, with its own configuration,
/// persistence database and log in a temporary directory.
///
/// ```swift
/// let broker = try await MosquittoBroker()                 // plain MQTT on 127.0.0.1:broker.port
/// defer { broker.stop() }
/// broker.stop(); try await broker.restart()               // same port, same persistence
/// ```
///
/// Anonymous clients are allowed unless `users` are given. `persistence true` is on and the database
/// is written when the broker stops (SIGTERM), so persistent sessions, their subscriptions and queued
/// QoS 1/2 messages survive `restart()`.
/// An optional TLS listener (`tlsPort`) uses the given CA, server certificate and key and, by
/// default, requires a client certificate. Everything binds 127.0.0.1 only.
///
/// `@unchecked Sendable`: the mutable process handle is guarded by `lock`.
public final class MosquittoBroker: @unchecked Sendable {
    /// A TLS listener's files (PEM) and whether clients must present a certificate signed by `caFile`.
    public struct TLSListener: Sendable {
        public var caFile: String
        public var certFile: String
        public var keyFile: String
        public var requireCertificate: Bool

        public init(caFile: String, certFile: String, keyFile: String, requireCertificate: Bool = true) {
            self.caFile = caFile
            self.certFile = certFile
            self.keyFile = keyFile
            self.requireCertificate = requireCertificate
        }

        /// The server side of `certificates`.
        public init(_ certificates: TestCertificates, requireCertificate: Bool = true) {
            self.init(
                caFile: certificates.caFile,
                certFile: certificates.serverCertFile,
                keyFile: certificates.serverKeyFile,
                requireCertificate: requireCertificate
            )
        }
    }

    public static let executable = "/usr/sbin/mosquitto"

    /// Always 127.0.0.1.
    public let host = "127.0.0.1"
    /// The plain MQTT listener.
    public let port: Int
    /// The TLS listener, when one was asked for.
    public let tlsPort: Int?
    /// The temporary directory holding `mosquitto.conf`, `mosquitto.log` and the persistence database.
    public let directory: URL

    private let lock = NSLock()
    private var process: Process?

    /// Starts a broker and returns once every listener accepts connections.
    ///
    /// - Parameters:
    ///   - tls: adds a TLS listener on `tlsPort`.
    ///   - users: user name → password; when not empty, anonymous clients are refused and only these
    ///     users may connect (a `password_file` made with `mosquitto_passwd`).
    ///   - extraConfiguration: lines appended to the global part of the configuration file
    ///     (e.g. `max_queued_messages 10`).
    public init(
        tls: TLSListener? = nil,
        users: [String: String] = [:],
        extraConfiguration: [String] = []
    ) async throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sortgate-mosquitto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("data"),
            withIntermediateDirectories: true
        )
        var extraConfiguration = extraConfiguration
        if users.isEmpty {
            extraConfiguration.insert("allow_anonymous true", at: 0)
        } else {
            let passwordFile = directory.appendingPathComponent("passwords").path
            _ = FileManager.default.createFile(atPath: passwordFile, contents: nil)
            for (user, password) in users.sorted(by: { $0.key < $1.key }) {
                try CommandRunner.runChecked("/usr/bin/mosquitto_passwd", ["-b", passwordFile, user, password])
            }
            extraConfiguration.insert(contentsOf: ["allow_anonymous false", "password_file \(passwordFile)"], at: 0)
        }
        // The kernel may hand a "free" port to someone else before mosquitto binds it: try a few.
        var lastError: (any Error)?
        for _ in 0..<5 {
            let port = freeLoopbackPort()
            let tlsPort = tls == nil ? nil : freeLoopbackPort()
            do {
                try Self.writeConfiguration(
                    in: directory,
                    port: port,
                    tlsPort: tlsPort,
                    tls: tls,
                    extraConfiguration: extraConfiguration
                )
                let process = try await Self.launch(in: directory, ports: [port] + (tlsPort.map { [$0] } ?? []))
                self.port = port
                self.tlsPort = tlsPort
                self.process = process
                return
            } catch {
                lastError = error
            }
        }
        try? FileManager.default.removeItem(at: directory)
        throw lastError ?? TestSupportError("mosquitto did not start")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// "host:port" of the plain listener.
    public var address: String {
        "\(host):\(port)"
    }

    /// True while the broker process runs.
    public var isRunning: Bool {
        lock.withLock { process?.isRunning ?? false }
    }

    /// The broker's log so far (`log_type all`), for diagnosing a failed test.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8)) ?? ""
    }

    /// Stops the broker with SIGTERM, as an init system would, and waits until it exited (mosquitto
    /// writes its persistence database on the way out). SIGKILL after 10 s. Idempotent.
    public func stop() {
        let process = lock.withLock {
            let process = self.process
            self.process = nil
            return process
        }
        guard let process, process.isRunning else {
            return
        }
        process.terminateAndWait()
    }

    /// Stops the broker if it runs and starts it again on the same ports with the same configuration
    /// and persistence database; returns once every listener accepts connections.
    public func restart() async throws {
        stop()
        let process = try await Self.launch(in: directory, ports: [port] + (tlsPort.map { [$0] } ?? []))
        lock.withLock { self.process = process }
    }

    private static func writeConfiguration(
        in directory: URL,
        port: Int,
        tlsPort: Int?,
        tls: TLSListener?,
        extraConfiguration: [String]
    ) throws {
        var lines = [
            "# Written by SortgateTestSupport.MosquittoBroker for one test.",
            // Run as whoever runs the test: as root, mosquitto would otherwise switch to the user
            // "mosquitto", who cannot write this temporary directory.
            "user \(currentUserName())",
            "persistence true",
            "persistence_location \(directory.appendingPathComponent("data").path)/",
            "log_dest file \(directory.appendingPathComponent("mosquitto.log").path)",
            "log_type all",
            "log_timestamp_format %H:%M:%S",
        ]
        lines += extraConfiguration
        lines += ["", "listener \(port) 127.0.0.1"]
        if let tls, let tlsPort {
            lines += [
                "",
                "listener \(tlsPort) 127.0.0.1",
                "cafile \(tls.caFile)",
                "certfile \(tls.certFile)",
                "keyfile \(tls.keyFile)",
                "require_certificate \(tls.requireCertificate)",
            ]
        }
        try (lines.joined(separator: "\n") + "\n").write(
            to: directory.appendingPathComponent("mosquitto.conf"),
            atomically: true,
            encoding: .utf8
        )
    }

    private static func launch(in directory: URL, ports: [Int]) async throws -> Process {
        let errorURL = directory.appendingPathComponent("stderr.log")
        let process = try Process.startLogging(
            URL(fileURLWithPath: executable),
            ["-c", directory.appendingPathComponent("mosquitto.conf").path],
            output: errorURL,
            error: errorURL
        )
        let ready = await eventually(timeout: .seconds(10), interval: .milliseconds(10)) {
            !process.isRunning || ports.allSatisfy(loopbackPortAcceptsConnections)
        }
        guard ready, process.isRunning else {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            let output = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            let log = (try? String(contentsOf: directory.appendingPathComponent("mosquitto.log"), encoding: .utf8))
            throw TestSupportError(
                "mosquitto did not accept connections on 127.0.0.1 ports \(ports): \(output) \(log ?? "")"
            )
        }
        return process
    }

    private static func currentUserName() -> String {
        guard let entry = getpwuid(geteuid()), let name = entry.pointee.pw_name else {
            return "root"
        }
        return String(cString: name)
    }
}
