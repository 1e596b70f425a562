import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateModbus
import SortgateTestSupport
import Synchronization
import Testing

/// Collects what a poller's sink receives, with the monotonic instant each record arrived.
final class RecordCollector: Sendable {
    struct Arrival: Sendable {
        var record: ModbusPollResult
        var instant: ContinuousClock.Instant
    }

    private let arrivals = Mutex<[Arrival]>([])

    var sink: ModbusPoller.Sink {
        { record in
            let instant = ContinuousClock.now
            self.arrivals.withLock { $0.append(Arrival(record: record, instant: instant)) }
        }
    }

    func records(from source: String) -> [Arrival] {
        arrivals.withLock { $0.filter { $0.record.device == source } }
    }
}

/// Runs `poller` until `body` returns, then cancels it and waits for its threads.
func whilePolling<T: Sendable>(_ poller: ModbusPoller, _ body: () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await poller.run() }
        do {
            let result = try await body()
            group.cancelAll()
            try await group.waitForAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

@Suite("Modbus poller", .serialized)
struct ModbusPollerTests {
    @Test("slow, unreachable and exception-returning devices do not change the healthy devices' poll rate")
    func isolation() async throws {
        let faulty = try await ModbusSimulatorProcess(
            script: """
                units:
                  - unit: 1
                    slow: {delay: 3s}
                    registers:
                      - {table: input, address: 1, type: int16, scale: 0.1, value: 5.0}
                      - {table: input, address: 2, type: uint16, scale: 0.1, value: 50.0}
                  - unit: 2
                    exceptions:
                      - {code: 2}
                """
        )
        defer { faulty.stop() }
        let healthy = try await ModbusSimulatorProcess(
            script: """
                units:
                  - unit: 1
                    registers:
                      - {table: input, address: 1, type: int16, scale: 0.1, value: 4.0}
                      - {table: input, address: 2, type: uint16, scale: 0.1, value: 62.5}
                  - unit: 2
                    registers:
                      - {table: input, address: 1, type: int16, scale: 0.1, value: -20.0}
                      - {table: input, address: 2, type: uint16, scale: 0.1, value: 45.0}
                """
        )
        defer { healthy.stop() }
        let closedPort = freeLoopbackPort()
        let devices = [
            loopbackDevice("slow", port: faulty.port, unit: 1),
            loopbackDevice("refusing-exceptions", port: faulty.port, unit: 2),
            loopbackDevice("unreachable", port: closedPort, unit: 1),
            loopbackDevice("chilled", port: healthy.port, unit: 1),
            loopbackDevice("freezer", port: healthy.port, unit: 2),
        ]
        let collector = RecordCollector()
        let poller = ModbusPoller(devices: devices, logger: quietLogger, sink: collector.sink)
        #expect(
            poller.connections.map(\.devices) == [
                ["slow", "refusing-exceptions"], ["unreachable"], ["chilled", "freezer"],
            ]
        )

        try await whilePolling(poller) {
            let enough = await eventually(timeout: .seconds(15)) {
                collector.records(from: "chilled").count >= 20 && collector.records(from: "freezer").count >= 20
                    && (poller.statistics(device: "slow")?.failures(.timeout) ?? 0) >= 2
            }
            #expect(enough)
        }

        for device in ["chilled", "freezer"] {
            let arrivals = collector.records(from: device)
            let intervals = zip(arrivals, arrivals.dropFirst()).map { $0.instant.duration(to: $1.instant) }
            let sorted = intervals.sorted()
            let median = sorted[sorted.count / 2]
            #expect(median >= .milliseconds(160) && median <= .milliseconds(240), "\(device) median \(median)")
            #expect(sorted.last! < .milliseconds(400), "\(device) longest interval \(sorted.last!)")
            let statistics = try #require(poller.statistics(device: device))
            #expect(statistics.failedPolls == 0)
            #expect(statistics.latePolls == 0)
            #expect(statistics.failures.isEmpty)
            #expect(statistics.polls >= 20)
            #expect(Int(statistics.latency.count) == statistics.polls)
            #expect(statistics.latency.maximum < 100_000)
            #expect(arrivals.allSatisfy { $0.record.poll.table == "input" && $0.record.poll.address == 1 })
        }
        let chilled = collector.records(from: "chilled").map(\.record)
        #expect(chilled.first?.poll.registers == [40, 625])
        #expect(xyMD02Profile.readings(from: chilled.first!.poll).map(\.value) == [4.0, 62.5])
        let freezer = collector.records(from: "freezer").map(\.record)
        #expect(xyMD02Profile.readings(from: freezer.last!.poll).map(\.value) == [-20.0, 45.0])
        let now = EventTime.wallClockNow()
        #expect(chilled.allSatisfy { $0.time <= now })

        let slow = try #require(poller.statistics(device: "slow"))
        #expect(Set(slow.failures.keys) == [.timeout])
        #expect(slow.failedPolls == slow.polls)
        #expect(slow.lastError?.errnoName == "ETIMEDOUT")
        #expect(collector.records(from: "slow").allSatisfy { $0.record.poll.error == "ETIMEDOUT" })

        let exceptions = try #require(poller.statistics(device: "refusing-exceptions"))
        #expect(exceptions.failures(.exception(.illegalDataAddress)) >= 2)
        #expect(Set(exceptions.failures.keys) == [.exception(.illegalDataAddress)])
        #expect(collector.records(from: "refusing-exceptions").allSatisfy { $0.record.poll.error == "EMBXILADD" })

        let unreachable = try #require(poller.statistics(device: "unreachable"))
        #expect(unreachable.failures(.connection) >= 2)
        #expect(Set(unreachable.failures.keys) == [.connection])
        let unreachableErrors = collector.records(from: "unreachable").compactMap { $0.record.poll.error }
        #expect(unreachableErrors.first == "ECONNREFUSED")
        #expect(Set(unreachableErrors).isSubset(of: ["ECONNREFUSED", "ENOTCONN"]))
        // Backing off: far fewer polls than the healthy devices got in the same time.
        #expect(unreachable.polls < 12)
        #expect(unreachable.consecutiveFailures == unreachable.polls)
    }

    @Test("a device whose simulator restarts recovers without intervention, and every poll is recorded")
    func recoversAfterRestart() async throws {
        let simulator = try await ModbusSimulatorProcess(
            script: """
                units:
                  - unit: 3
                    registers:
                      - {table: input, address: 1, type: int16, scale: 0.1, value: 3.5}
                      - {table: input, address: 2, type: uint16, scale: 0.1, value: 60.0}
                """
        )
        defer { simulator.stop() }
        let collector = RecordCollector()
        let poller = ModbusPoller(
            devices: [
                loopbackDevice(
                    "coldroom-a-t1",
                    port: simulator.port,
                    unit: 3,
                    poll: .milliseconds(100),
                    timeout: .milliseconds(100)
                )
            ],
            options: ModbusPoller.Options(
                reconnectBackoff: Backoff.Bounds(minimum: .milliseconds(50), maximum: .milliseconds(200)),
                maximumPollBackoff: .milliseconds(400)
            ),
            logger: quietLogger,
            sink: collector.sink
        )
        try await whilePolling(poller) {
            let polled = await eventually { collector.records(from: "coldroom-a-t1").count >= 3 }
            #expect(polled)
            simulator.stop()
            let failing = await eventually {
                collector.records(from: "coldroom-a-t1").contains { $0.record.poll.error != nil }
            }
            #expect(failing)
            try await simulator.restart()
            let recovered = await eventually {
                poller.statistics(device: "coldroom-a-t1")?.consecutiveFailures == 0
                    && collector.records(from: "coldroom-a-t1").last?.record.poll.registers != nil
            }
            #expect(recovered)
        }
        let records = collector.records(from: "coldroom-a-t1").map(\.record)
        let errors = records.compactMap { $0.poll.error }
        #expect(!errors.isEmpty)
        #expect(Set(errors).isSubset(of: ["ECONNREFUSED", "ECONNRESET", "EPIPE", "ENOTCONN"]))
        #expect(records.last?.poll.registers == [35, 600])
        let statistics = try #require(poller.statistics(device: "coldroom-a-t1"))
        #expect(statistics.polls == records.count)
        #expect(statistics.failedPolls == errors.count)
        #expect(statistics.failures(.connection) == errors.count)
        #expect(statistics.lastPollLatency != nil)
    }

    @Test("devices on one connection are polled in turn on one line; stopping is prompt")
    func sharedLine() async throws {
        let simulator = try await ModbusSimulatorProcess(
            script: """
                units:
                  - unit: 1
                    registers:
                      - {table: input, address: 1, type: int16, scale: 0.1, value: 2.5}
                      - {table: input, address: 2, type: uint16, scale: 0.1, value: 10.0}
                  - unit: 2
                    registers:
                      - {table: input, address: 1, type: int16, scale: 0.1, value: 7.5}
                      - {table: input, address: 2, type: uint16, scale: 0.1, value: 20.0}
                """
        )
        defer { simulator.stop() }
        let collector = RecordCollector()
        let poller = ModbusPoller(
            devices: [
                loopbackDevice("a", port: simulator.port, unit: 1, poll: .milliseconds(100)),
                loopbackDevice("b", port: simulator.port, unit: 2, poll: .milliseconds(300)),
            ],
            logger: quietLogger,
            sink: collector.sink
        )
        #expect(poller.connections.count == 1)
        let stopped = try await whilePolling(poller) { () -> ContinuousClock.Instant in
            let enough = await eventually { collector.records(from: "b").count >= 4 }
            #expect(enough)
            return ContinuousClock.now
        }
        #expect(stopped.duration(to: .now) < .seconds(1))
        let a = collector.records(from: "a")
        let b = collector.records(from: "b")
        #expect(a.allSatisfy { $0.record.poll.registers == [25, 100] })
        #expect(b.allSatisfy { $0.record.poll.registers == [75, 200] })
        // About three polls of "a" per poll of "b".
        #expect(a.count >= 2 * b.count)
        let statistics = poller.statistics
        #expect(statistics["a"]?.failedPolls == 0)
        #expect(statistics["b"]?.failedPolls == 0)
        if let average = statistics["a"]?.latency.average {
            print(
                "Modbus TCP poll latency on loopback (one 2-register request, simulator): average \(average), "
                    + "min \(statistics["a"]!.latency.minimum) µs, max \(statistics["a"]!.latency.maximum) µs"
            )
        }
    }
}
