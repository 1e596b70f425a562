import Foundation
import Glibc
import Logging
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateIngest
import SortgateStore
import SortgateTestSupport
import Testing

/// A small tmpfs of its own (mounting needs root, which CI and the development box have).
final class SmallFilesystem: @unchecked Sendable {
    // @unchecked: set in init, then only read.
    let path: String

    init(megabytes: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("sortgate-full-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Self.mount(["-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path])
    }

    /// Grows (or shrinks) the filesystem in place; its files stay.
    func resize(megabytes: Int) throws {
        try Self.mount(["-o", "remount,size=\(megabytes)m", path])
    }

    deinit {
        _ = try? Self.run("/usr/bin/umount", [path])
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func mount(_ arguments: [String]) throws {
        let status = try run("/usr/bin/mount", arguments)
        if status != 0 { throw TestSupportError("mount \(arguments.joined(separator: " ")) exited \(status)") }
    }

    private static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// The disk holding the database fills up under load: the gateway keeps running, retries the same
/// batch, loses nothing once space comes back, and a stop while the disk stays full ends in a
/// bounded time, saying what it could not write.
@Suite("Disk full", .serialized, .enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
struct DiskFullTests {
    func config(broker: MosquittoBroker, database: String, folder: TemporaryFolder) throws -> SiteConfig {
        var config = try demoConfig(port: broker.port, folder: folder)
        config.database = .sqlite(path: database)
        config.ringFile = folder.path("sortgate.ring")
        return config
    }

    @Test("writes fail while the disk is full; once it grows, every message is in the database exactly once")
    func recoversWhenSpaceReturns() async throws {
        let disk = try SmallFilesystem(megabytes: 1)
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let config = try config(broker: broker, database: disk.path + "/sortgate.sqlite", folder: folder)
        let gateway = try LiveGateway(config: config)
        try await gateway.waitUntilSubscribed()
        let total = 12_000
        try await publish(oneReadPerTag(0..<total), port: broker.port)
        // The writer is stuck retrying a batch the disk cannot hold; the pipeline waits behind it,
        // the ring fills and the broker keeps the rest.
        let stuck = await eventually(timeout: .seconds(30)) {
            let writer = gateway.gateway.writer
            return writer.committedCount + 2 == writer.handedOverCount
        }
        #expect(stuck)
        #expect(gateway.pipeline.status.session.messages < UInt64(total))
        try disk.resize(megabytes: 64)
        #expect(await gateway.waitForMessages(UInt64(total)))
        let caughtUp = await eventually(timeout: .seconds(30)) {
            gateway.gateway.writer.committedCount == gateway.gateway.writer.handedOverCount
        }
        #expect(caughtUp)
        try await gateway.stop()
        let store = try SQLiteStore(path: disk.path + "/sortgate.sqlite", zoneNames: config.zones.map(\.name))
        let inventory = try store.inventory()
        #expect(inventory.count == total)
        #expect(inventory.filter { $0.reads != 1 }.isEmpty)
    }

    @Test("a ring file the disk cannot hold stops the start with what to do, not with SIGBUS later")
    func ringFileTooLarge() throws {
        let disk = try SmallFilesystem(megabytes: 1)
        let folder = try TemporaryFolder()
        var config = try demoConfig(port: 1, folder: folder)
        config.database = .sqlite(path: disk.path + "/sortgate.sqlite")
        #expect {
            _ = try Gateway(config: config, logger: Logger(label: "disk-full-test"))
        } throws: { error in
            "\(error)".contains("ring file '\(disk.path)/sortgate.sqlite.ring': allocating")
                && "\(error)".contains("No space left on device")
        }
    }

    @Test("a stop while the disk stays full ends within the stop timeout and says what was not written")
    func boundedStop() async throws {
        let disk = try SmallFilesystem(megabytes: 1)
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let config = try config(broker: broker, database: disk.path + "/sortgate.sqlite", folder: folder)
        let gateway = try LiveGateway(config: config, stopTimeout: .seconds(1))
        try await gateway.waitUntilSubscribed()
        try await publish(oneReadPerTag(0..<12_000), port: broker.port)
        let stuck = await eventually(timeout: .seconds(30)) {
            let writer = gateway.gateway.writer
            return writer.committedCount + 2 == writer.handedOverCount
        }
        #expect(stuck)
        let started = ContinuousClock.now
        let failure = await #expect(throws: BatchWriter.Failure.self) { try await gateway.stop() }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(failure?.unwrittenBatches == 2)
        #expect(failure?.lastError.contains("full") == true)
    }
}
