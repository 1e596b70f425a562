import Foundation

/// mosquitto's own command-line clients, as an independent second party in tests: what they send
/// and receive does not go through the code under test.
public enum MosquittoClients {
    public static let publishExecutable = "/usr/bin/mosquitto_pub"
    public static let subscribeExecutable = "/usr/bin/mosquitto_sub"

    /// Publishes one message with `mosquitto_pub` and returns after it exited (for QoS 1 and 2, after
    /// the broker acknowledged it). The payload goes through a file, so any bytes are sent as they are.
    public static func publish(
        port: Int,
        topic: String,
        payload: [UInt8],
        qos: Int = 1,
        retain: Bool = false,
        clientID: String? = nil,
        extraArguments: [String] = []
    ) throws {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("sortgate-payload-\(UUID().uuidString)")
        try Data(payload).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        var arguments = ["-h", "127.0.0.1", "-p", "\(port)", "-t", topic, "-q", "\(qos)"]
        // -f with an empty file is refused, -n sends the zero-length message.
        arguments += payload.isEmpty ? ["-n"] : ["-f", file.path]
        if retain {
            arguments.append("-r")
        }
        if let clientID {
            arguments += ["-i", clientID]
        }
        arguments += extraArguments
        try CommandRunner.runChecked(publishExecutable, arguments, timeout: .seconds(15))
    }

    /// Publishes a UTF-8 text message with `mosquitto_pub`.
    public static func publish(port: Int, topic: String, text: String, qos: Int = 1) throws {
        try publish(port: port, topic: topic, payload: Array(text.utf8), qos: qos)
    }
}

/// A running `mosquitto_sub` that collects messages: start it, wait for `waitUntilSubscribed()`, make
/// the test publish, then read `messages` (or wait for a count with `eventually`).
///
/// `@unchecked Sendable`: the process is immutable after init; its output is read from a file.
public final class MosquittoSubscriber: @unchecked Sendable {
    /// One message as `mosquitto_sub` printed it.
    public struct Message: Sendable, Hashable {
        public var topic: String
        public var payload: [UInt8]
    }

    private let process: Process
    private let outputURL: URL
    private let directory: URL

    /// Starts `mosquitto_sub -d` on `filter` at `qos`; it exits by itself after `timeout`.
    public init(port: Int, filter: String, qos: Int = 1, timeout: Duration = .seconds(30)) throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sortgate-subscriber-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        outputURL = directory.appendingPathComponent("stdout")
        // mosquitto_sub's stdout goes to a file, which stdio buffers in blocks: stdbuf makes it line
        // buffered so that "Subscribed" and each message show up as soon as they are printed.
        let arguments = [
            "-oL", MosquittoClients.subscribeExecutable,
            "-d", "-h", "127.0.0.1", "-p", "\(port)", "-t", filter, "-q", "\(qos)",
            "-W", "\(timeout.components.seconds)",
            // One line per message: a marker, the topic, the payload in hex (binary-safe).
            "-F", "MESSAGE %t %x",
        ]
        process = try Process.startLogging(
            URL(fileURLWithPath: "/usr/bin/stdbuf"),
            arguments,
            output: outputURL,
            error: outputURL
        )
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Everything `mosquitto_sub` printed so far (debug lines included).
    public var output: String {
        (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
    }

    /// Waits until the broker acknowledged the subscription (`-d` prints "Subscribed").
    public func waitUntilSubscribed(timeout: Duration = .seconds(10)) async throws {
        let subscribed = await eventually(timeout: timeout) { output.contains("Subscribed (mid") }
        guard subscribed else {
            throw TestSupportError("mosquitto_sub did not subscribe within \(timeout): \(output)")
        }
    }

    /// The messages received so far, in order.
    public var messages: [Message] {
        output.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count >= 2, fields[0] == "MESSAGE" else {
                return nil
            }
            let hex = fields.count == 3 ? Array(fields[2].utf8) : []
            var payload: [UInt8] = []
            payload.reserveCapacity(hex.count / 2)
            var index = 0
            while index + 1 < hex.count {
                guard let byte = UInt8(String(decoding: hex[index...index + 1], as: UTF8.self), radix: 16) else {
                    return nil
                }
                payload.append(byte)
                index += 2
            }
            return Message(topic: String(fields[1]), payload: payload)
        }
    }

    /// Ends `mosquitto_sub`. Idempotent.
    public func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
