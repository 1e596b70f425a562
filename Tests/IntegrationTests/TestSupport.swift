import Foundation
import SortgateConfig
import SortgateCore
import SortgateGateway
import SortgateIngest
import SortgateStore

/// The repository root, found from this file's path (tests run from any working directory).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

extension SQLiteStore {
    /// The database at `path` for a site: its zones and devices are the store's zone and source names.
    static func forSite(_ config: SiteConfig, path: String) throws -> SQLiteStore {
        try SQLiteStore(path: path, zoneNames: config.zones.map(\.name), sourceNames: config.devices.map(\.id))
    }
}

/// A temporary folder removed when the value is released.
final class TemporaryFolder: Sendable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("sortgate-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Loads a config of the repository with its database redirected into `folder`, without its HTTP
/// API (the demo's fixed port would clash between tests and with a running demo; the HTTP tests
/// add one on a free port).
func loadConfig(_ relativePath: String, databaseIn folder: TemporaryFolder) throws -> SiteConfig {
    var config = try SiteConfig.load(path: repositoryRoot.appendingPathComponent(relativePath).path)
    config.database = .sqlite(path: folder.path("sortgate.sqlite"))
    config.http = nil
    return config
}

/// Replays capture files into a fresh session writing to `store`.
func replay(_ files: [String], config: SiteConfig, store: SQLiteStore) async throws -> ReplaySummary {
    let session = IngestSession(topology: SiteTopology(config: config), sink: store)
    return try await Replayer(speed: .max).run(files: files, into: session)
}
