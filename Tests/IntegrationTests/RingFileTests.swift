import Foundation
import Logging
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateIngest
import SortgateStore
import Testing

/// What a gateway finds in its ring file when it starts: messages a killed process left, written
/// under the same or another ring geometry or device list.
@Suite("Ring file at start")
struct RingFileTests {
    var logger: Logger {
        var logger = Logger(label: "ring-file-test")
        logger.logLevel = .warning
        return logger
    }

    /// Writes `count` reads of new tags into the gateway's ring as its MQTT source would, and
    /// leaves them there: the gateway never runs, as if killed before its pipeline took them.
    func leave(_ count: Int, in gateway: Gateway) {
        let source = UInt16(gateway.topology.source(named: "induction-reader")!.index)
        let topic = Array("readers/induction/events".utf8)
        for n in 0..<count {
            let payload = Array(
                (#"{"data":{"antenna":1,"eventNum":\#(n + 1),"format":"epc","#
                    + #""idHex":"3074257BF7194E40AB\#(String(format: "%06X", n))","peakRssi":-50,"reads":1},"#
                    + #""timestamp":"2026-11-28T09:00:00.000+0100","type":"SIMPLE"}"#).utf8
            )
            let result = topic.withUnsafeBytes { topic in
                payload.withUnsafeBytes { payload in
                    gateway.ring.push(
                        source: source,
                        policy: .block,
                        arrival: try! EventTime(rfc3339: "2026-11-28T08:00:01Z"),
                        topic: topic,
                        payload: payload
                    )
                }
            }
            #expect(result == .accepted)
        }
    }

    @Test("messages left in a ring of another geometry are committed at start, and the file is remade")
    func otherGeometry() throws {
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: 1, folder: folder)
        leave(5, in: try Gateway(config: config, options: .init(ring: smallRing(slots: 64)), logger: logger))
        let ringPath = try #require(config.ringFilePath)
        let before = try RingFile(path: ringPath, size: nil)
        #expect(before.storedConfiguration == smallRing(slots: 64))
        before.close()

        let gateway = try Gateway(config: config, options: .init(ring: smallRing(slots: 128)), logger: logger)
        let rows = try gateway.store.inventory().filter { $0.epc.hasPrefix("3074257BF7194E40AB") }
        #expect(rows.count == 5)
        #expect(rows.allSatisfy { $0.reads == 1 })
        let after = try RingFile(path: ringPath, size: nil)
        #expect(after.storedConfiguration == smallRing(slots: 128))
        after.close()
        #expect(!FileManager.default.fileExists(atPath: ringPath + ".previous"))
        // Positions go on above the old ring's: the database's recovery point is its end.
        #expect(try gateway.store.ringPosition() == gateway.ring.tailPosition)
    }

    @Test("messages written under another device list are refused with what to do, not misattributed")
    func otherDevices() throws {
        let folder = try TemporaryFolder()
        let config = try demoConfig(port: 1, folder: folder)
        leave(3, in: try Gateway(config: config, logger: logger))
        var changed = config
        changed.devices.removeFirst()
        #expect {
            _ = try Gateway(config: changed, logger: logger)
        } throws: { error in
            "\(error)".contains("holds 3 messages not yet committed, written with another list of devices")
        }
        // With the old list they are committed, and the new list then starts on an empty ring.
        _ = try Gateway(config: config, logger: logger)
        let gateway = try Gateway(config: changed, logger: logger)
        #expect(try gateway.store.inventory().filter { $0.epc.hasPrefix("3074257BF7194E40AB") }.count == 3)
    }
}
