// sortgate-sim: plays RFID readers on an MQTT broker by publishing a capture file's messages,
// each to its recorded topic, with the recorded pacing (or as fast as the broker acknowledges).
// Used by `make demo` and the live integration tests; the messages are byte for byte what the
// capture holds, so a live run can be compared with a replay of the same capture.
import ArgumentParser
import Foundation
import Logging
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateMQTT

@main
struct ReaderSimulatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sortgate-sim",
        abstract: "Publish the messages of a capture file to an MQTT broker, as the recorded readers did."
    )

    @Argument(help: "Capture file (JSON Lines) whose MQTT messages to publish.")
    var capture: String

    @Option(help: "Broker host.")
    var host = "127.0.0.1"

    @Option(help: "Broker port.")
    var port = 1883

    @Option(help: "'max', or N to publish N times faster than recorded.")
    var speed = "max"

    @Option(help: "QoS of the publications (0, 1 or 2); QoS 1 and 2 wait for the broker's acknowledgement.")
    var qos = 1

    @Option(help: "MQTT client id.")
    var clientID = "sortgate-sim"

    @Option(help: "Publish only the first N messages.")
    var limit: Int?

    func validate() throws {
        guard ReplaySpeed(argument: speed) != nil else {
            throw ValidationError("--speed must be 'max' or a positive number")
        }
        guard (0...2).contains(qos) else { throw ValidationError("--qos must be 0, 1 or 2") }
    }

    func run() async throws {
        var logger = Logger(label: "sortgate-sim")
        logger.logLevel = .warning
        let client = MQTTClient(
            configuration: .init(host: host, port: port, clientID: clientID, cleanSession: true),
            logger: logger
        ) { _ in }
        try client.start()
        defer { client.stop() }
        let clock = ContinuousClock()
        let started = clock.now
        var origin: EventTime?
        var published = 0
        let pace = ReplaySpeed(argument: speed)!
        let limit = self.limit ?? .max
        try await CaptureReader(path: capture).forEachLine { line in
            guard published < limit, case .success(let record) = line, let topic = record.topic,
                let payload = record.payload
            else { return }
            if case .factor(let factor) = pace {
                let first = origin ?? record.time
                origin = first
                let due = started + .nanoseconds(Int64(Double((record.time - first).nanosecondsClamped) / factor))
                if due > clock.now { try await Task.sleep(until: due, clock: clock) }
            }
            try await client.publish(topic: topic, payload: payload, qos: qos)
            published += 1
        }
        print("published \(published) messages to \(host):\(port) in \(clock.now - started)")
    }
}
