public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A running `sortgate-modbus-sim` on 127.0.0.1, serving a script a test wrote: start it, point a
/// Modbus master at `port`, stop it (or restart it on the same port to cut connections mid-stream).
///
/// The binary is the one built next to the test bundle (`.build/debug/sortgate-modbus-sim`), so
/// `swift build --build-tests` must have built it (it does: it builds every product).
///
/// `@unchecked Sendable`: `process` is guarded by `lock`; everything else is immutable.
public final class ModbusSimulatorProcess: @unchecked Sendable {
    /// Always 127.0.0.1.
    public let host = "127.0.0.1"
    /// The port it listens on (picked by the simulator on the first start).
    public let port: Int
    /// The temporary directory holding `script.yaml` and the simulator's output.
    public let directory: URL

    private let speed: Double
    private let lock = NSLock()
    private var process: Process?
    private var starts = 0

    /// The simulator binary next to the test bundle.
    public static var executable: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("sortgate-modbus-sim")
    }

    /// Writes `script` (the YAML of Tools/ModbusSimulator/README.md) and starts the simulator on a
    /// port it picks; returns once it accepts connections.
    public init(script: String, speed: Double = 1) async throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sortgate-modbus-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try script.write(to: directory.appendingPathComponent("script.yaml"), atomically: true, encoding: .utf8)
        self.speed = speed
        do {
            let (process, port) = try await Self.launch(in: directory, port: 0, speed: speed, run: 1)
            self.port = port
            self.process = process
            self.starts = 1
        } catch {
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// `127.0.0.1:port`.
    public var address: String {
        "\(host):\(port)"
    }

    /// True while the simulator process runs.
    public var isRunning: Bool {
        lock.withLock { process?.isRunning ?? false }
    }

    /// What the simulator wrote to stderr over all its runs, for diagnosing a failed test.
    public var log: String {
        let runs = lock.withLock { starts }
        return (1...max(runs, 1)).map { run in
            (try? String(contentsOf: directory.appendingPathComponent("stderr-\(run).log"), encoding: .utf8)) ?? ""
        }.joined()
    }

    /// Stops the simulator with SIGTERM and waits until it exited (SIGKILL after 10 s). Returns its
    /// exit status (0 for a clean stop), or nil when it was not running. Idempotent.
    @discardableResult
    public func stop() -> Int32? {
        let process = lock.withLock {
            let process = self.process
            self.process = nil
            return process
        }
        guard let process, process.isRunning else {
            return nil
        }
        return process.terminateAndWait()
    }

    /// Stops the simulator if it runs and starts it again on the same port with the same script;
    /// returns once it accepts connections. Script time starts again from zero.
    public func restart() async throws {
        stop()
        let run = lock.withLock {
            starts += 1
            return starts
        }
        let (process, _) = try await Self.launch(in: directory, port: port, speed: speed, run: run)
        lock.withLock { self.process = process }
    }

    /// Starts the simulator and waits for its `listening 127.0.0.1:PORT` line.
    private static func launch(in directory: URL, port: Int, speed: Double, run: Int) async throws -> (Process, Int) {
        let executable = Self.executable
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw TestSupportError("\(executable.path) is missing: build the package with --build-tests first")
        }
        let outputURL = directory.appendingPathComponent("stdout-\(run).log")
        let errorURL = directory.appendingPathComponent("stderr-\(run).log")
        let arguments = [
            "--script", directory.appendingPathComponent("script.yaml").path,
            "--port", "\(port)",
            "--speed", "\(speed)",
        ]
        let process = try Process.startLogging(executable, arguments, output: outputURL, error: errorURL)
        var listening: Int?
        let ready = await eventually(timeout: .seconds(10), interval: .milliseconds(5)) {
            let text = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening 127.0.0.1:") }) {
                listening = Int(line.dropFirst("listening 127.0.0.1:".count))
            }
            return listening != nil || !process.isRunning
        }
        guard ready, let listening, process.isRunning else {
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
            let text = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
            throw TestSupportError("sortgate-modbus-sim did not start on 127.0.0.1 port \(port): \(text)")
        }
        return (process, listening)
    }
}
