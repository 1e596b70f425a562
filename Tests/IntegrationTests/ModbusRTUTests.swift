import Foundation
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateIngest
import SortgateModbus
import SortgateModbusServer
import SortgateStore
import SortgateTestSupport
import Testing

/// A pseudo-terminal pair made by `socat`: what is written to one end is read from the other, as
/// on an RS-485 line between the gateway and a transmitter.
final class SerialLinePair: @unchecked Sendable {
    // @unchecked: set in init, then only read.
    let gatewayEnd: String
    let deviceEnd: String
    private let process: Process

    init(in folder: TemporaryFolder) async throws {
        gatewayEnd = folder.path("ttyGateway")
        deviceEnd = folder.path("ttyDevice")
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/socat")
        process.arguments = ["pty,raw,echo=0,link=\(gatewayEnd)", "pty,raw,echo=0,link=\(deviceEnd)"]
        try process.runWithDefaultSignalMask()
        let ready = await eventually(timeout: .seconds(5)) {
            FileManager.default.fileExists(atPath: self.gatewayEnd) && FileManager.default.fileExists(atPath: self.deviceEnd)
        }
        if !ready { throw TestSupportError("socat made no pseudo-terminal pair within 5 s") }
    }

    deinit {
        process.terminate()
        process.waitUntilExit()
    }
}

/// Modbus RTU over a real serial line (a pseudo-terminal pair) to a libmodbus RTU server: readings
/// arrive, and answers with a bad CRC are counted as such and recovered from.
@Suite("Modbus RTU")
struct ModbusRTUTests {
    @Test("an XY-MD02 over RTU: exact readings; frames with a wrong CRC are counted as bad-crc and the next polls recover")
    func readingsAndCRCErrors() async throws {
        let folder = try TemporaryFolder()
        let line = try await SerialLinePair(in: folder)
        var map = ModbusRegisterMap()
        map.set(.inputRegisters, address: 1, values: [40, 625])
        let server = try ModbusRTUServer(path: line.deviceEnd, baud: 19_200, unit: 3, map: map)
        defer { server.stop() }
        let yaml = """
            site: rtu-test
            database: {sqlite: \(folder.path("rtu.sqlite"))}
            profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]
            zones:
              cold-room-a: {type: cold-room}
            devices:
              - {id: rtu-t1, profile: xy-md02, modbus: {serial: \(line.gatewayEnd), baud: 19200, unit: 3}, poll: 200ms, timeout: 150ms, zone: cold-room-a}
            """
        try yaml.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
        let config = try SiteConfig.load(path: folder.path("site.yaml"))
        let gateway = try LiveGateway(config: config)
        let poller = try #require(gateway.gateway.sources.modbus)
        func statistics() -> ModbusDeviceStatistics { poller.statistics(device: "rtu-t1") ?? ModbusDeviceStatistics() }
        #expect(await eventually(timeout: .seconds(10)) { statistics().polls >= 3 })
        server.corruptNext(2)
        #expect(await eventually(timeout: .seconds(10)) { statistics().failures[.badCRC, default: 0] >= 2 })
        let afterFaults = statistics().polls
        #expect(await eventually(timeout: .seconds(15)) {
            statistics().polls >= afterFaults + 3 && statistics().consecutiveFailures == 0
        })
        try await gateway.stop()

        let final = statistics()
        #expect(final.failures == [.badCRC: 2])
        #expect(server.statistics.corrupted == 2)
        let readings = try gateway.store.readings()
        #expect(readings.count == final.polls - final.failedPolls)
        #expect(Set(readings.map(\.celsius)) == [4.0])
        #expect(Set(readings.map(\.zone)) == ["cold-room-a"])
    }
}
