import ArgumentParser
import Foundation
import Logging
import SortgateConfig
import SortgateModbus
import SortgateModbusServer

#if canImport(Glibc)
    import Glibc
#endif

/// `sortgate-modbus-sim`: a Modbus TCP server that serves simulated cold-room sensors and other
/// devices from a YAML script, for the demo and the tests. See README.md for the script format.
@main
struct ModbusSimulatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sortgate-modbus-sim",
        abstract: "Serve simulated Modbus devices (temperature curves, offline, slow, exceptions) over Modbus TCP.",
        discussion: """
            Prints 'listening HOST:PORT' as its first line once it accepts connections, then serves
            until SIGTERM or SIGINT, and exits 0.
            """
    )

    @Option(help: "The script: units, registers, curves and behaviours (YAML; see README.md).")
    var script: String

    @Option(help: "TCP port; 0 picks a free one (printed on the first line).")
    var port: Int = 0

    @Option(help: "Address to listen on (numeric IPv4). Keep the default unless another machine must connect.")
    var host: String = "127.0.0.1"

    @Option(help: "Script time runs this many times faster than real time (reply delays do not).")
    var speed: Double = 1

    @Flag(help: "Log every connection to stderr.")
    var verbose = false

    func validate() throws {
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be 0...65535")
        }
        guard speed > 0, speed.isFinite else {
            throw ValidationError("--speed must be a positive number")
        }
    }

    func run() throws {
        let script: SimulatorScript
        do {
            script = try SimulatorScript.load(path: self.script)
        } catch {
            for diagnostic in error.diagnostics {
                FileHandle.standardError.write(Data("sortgate-modbus-sim: \(diagnostic)\n".utf8))
            }
            throw ExitCode(2)
        }
        var logger = Logger(label: "sortgate-modbus-sim") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = verbose ? .debug : .notice
        // Block the stop signals before any thread starts (threads inherit the mask), so that only
        // sigwait below receives them.
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGTERM)
        sigaddset(&signals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let devices = SimulatedDevices(script: script, speed: speed)
        let server: ModbusTCPServer
        do {
            server = try ModbusTCPServer(host: host, port: port, logger: logger) { request in
                devices.respond(to: request, at: devices.now)
            }
        } catch {
            FileHandle.standardError.write(Data("sortgate-modbus-sim: \(error)\n".utf8))
            throw ExitCode(1)
        }
        // Written straight to the descriptor (no stdio buffer to flush): whoever started the
        // simulator waits for this line to learn the port.
        FileHandle.standardOutput.write(Data("listening \(host):\(server.port)\n".utf8))
        let units = script.units.map { unit in unit.name.map { "\(unit.unit) (\($0))" } ?? "\(unit.unit)" }
        logger.notice("serving units \(units.joined(separator: ", "))")
        var received: Int32 = 0
        sigwait(&signals, &received)
        server.stop()
        let statistics = server.statistics
        logger.notice(
            "stopped by signal \(received) after \(statistics.requests) requests on \(statistics.connectionsAccepted) connections"
        )
    }
}
