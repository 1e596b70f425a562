public import Foundation

/// What a finished command printed and how it exited.
public struct CommandResult: Sendable {
    public var status: Int32
    public var standardOutput: String
    public var standardError: String
}

/// Runs command-line tools (openssl, mosquitto_pub) to completion with a deadline, capturing their
/// output in files (pipes could fill up and stall a chatty tool).
public enum CommandRunner {
    public static func run(
        _ executable: String,
        _ arguments: [String],
        in directory: URL? = nil,
        timeout: Duration = .seconds(30)
    ) throws -> CommandResult {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("sortgate-command-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outputURL = scratch.appendingPathComponent("stdout")
        let errorURL = scratch.appendingPathComponent("stderr")
        let process = try Process.startLogging(
            URL(fileURLWithPath: executable),
            arguments,
            output: outputURL,
            error: errorURL,
            in: directory
        )
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw TestSupportError("\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout)")
        }
        return CommandResult(
            status: process.terminationStatus,
            standardOutput: (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "",
            standardError: (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        )
    }

    /// Runs a command that must succeed; a non-zero exit throws with what it printed.
    @discardableResult
    public static func runChecked(
        _ executable: String,
        _ arguments: [String],
        in directory: URL? = nil,
        timeout: Duration = .seconds(30)
    ) throws -> CommandResult {
        let result = try run(executable, arguments, in: directory, timeout: timeout)
        guard result.status == 0 else {
            throw TestSupportError(
                "\(executable) \(arguments.joined(separator: " ")) exited \(result.status): "
                    + result.standardError + result.standardOutput
            )
        }
        return result
    }
}
