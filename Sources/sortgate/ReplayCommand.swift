import ArgumentParser
import Foundation
import Logging
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate replay CAPTURE... --config F [--speed max|N]`.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Feed capture files through the decoders and pipeline into the configured database.",
        discussion: """
            Captures are JSON Lines as written by `sortgate record`. Time advances only through \
            events: the replay stops at the last event's time, and departures due after it are \
            not emitted. Replaying the same capture twice into the same database gives the same rows.
            """
    )

    @Argument(help: "Capture files (JSON Lines), replayed in the order given.")
    var captures: [String]

    @Option(name: .long, help: "The site config.")
    var config: String

    @Option(name: .long, help: "'max' ignores recorded pacing; N replays N times faster than recorded.")
    var speed: String = "max"

    @Option(name: .long, help: "Summary format: text or json.")
    var format: SummaryFormat = .text

    @OptionGroup var logging: LoggingOptions

    enum SummaryFormat: String, ExpressibleByArgument {
        case text, json
    }

    func validate() throws {
        if captures.isEmpty { throw ValidationError("name at least one capture file") }
        if ReplaySpeed(argument: speed) == nil {
            throw ValidationError("--speed must be 'max' or a positive number, got '\(speed)'")
        }
    }

    func run() async throws {
        _ = logging.bootstrap()
        let site = try loadConfigOrExit(config)
        // Into a hub's PostgreSQL, the replay commits to a staging SQLite file and ships it as a
        // gateway would: one write path and one shipping path, whichever the database.
        let staging = try ReplayStaging(site)
        defer { staging.remove() }
        let store = try openStore(staging.site)
        let topology = SiteTopology(config: site)
        // SQLite commits on its own thread while the next batch is derived; a database that keeps
        // failing for 10 s ends the replay with the error.
        let writer = BatchWriter(
            writingTo: store,
            configuration: .init(giveUpAfter: .seconds(10)),
            logger: Logger(label: "sortgate.replay")
        )
        let session = IngestSession(topology: topology, sink: writer)
        session.loadManifest(topology.manifest(from: try query { try store.manifestContainers() }))
        let summary: ReplaySummary
        // Bytes, reads/s and ETA on the terminal while a long replay runs; erased before the summary.
        let progressLine = TerminalProgressLine.onTerminal()
        let showProgress = progressLine.map { line in { (progress: ReplayProgress) in line.show(progress.line) } }
        do {
            defer { progressLine?.erase() }
            summary = try await Replayer(speed: ReplaySpeed(argument: speed)!)
                .run(files: captures, into: session, writer: writer, progress: showProgress)
        } catch let error as CaptureReader.OpenError {
            printError("sortgate: \(error)")
            throw ExitCode(1)
        } catch let error as BatchWriter.Failure {
            printError("sortgate: replay stopped: \(error)")
            throw ExitCode(1)
        }
        switch format {
        case .text: print(summary.text)
        case .json: print(summary.json)
        }
        if let server = centralServer(of: site) {
            let rows = try await shipToCentral(store, site: staging.site, server: server)
            if format == .text { print("shipped \(rows) rows to \(server.serverName) as site '\(site.site)'") }
        }
    }
}

/// Where a replay commits: the config's SQLite file, or for a hub config a staging SQLite file
/// in a temporary folder, shipped to the hub's PostgreSQL afterwards and then removed.
struct ReplayStaging {
    /// The config to open the store with (the staging file's, for a hub).
    let site: SiteConfig
    private let folder: URL?

    init(_ site: SiteConfig) throws {
        guard case .postgres(let server) = site.database else {
            self.site = site
            folder = nil
            return
        }
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("sortgate-replay-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))")
        var staged = site
        staged.database = .sqlite(path: folder.appendingPathComponent("staging.sqlite").path)
        staged.central = CentralConfig(server: server)
        self.site = staged
        self.folder = folder
    }

    func remove() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }
}

extension ReplaySummary {
    /// The summary as a person reads it.
    var text: String {
        let seconds = elapsed.inSeconds
        var lines = [
            "replayed \(files.count) capture(s): \(session.messages) messages, \(totals.tagEvents) tag reads "
                + "(\(totals.tagReads) counted by readers), \(session.ignoredEvents) non-tag events ignored",
            "rejected \(session.rejectedTotal)"
                + (session.rejected.isEmpty
                    ? ""
                    : ": "
                        + session.rejected.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
                        .joined(separator: ", ")),
            "redelivered \(redelivered) (not counted twice), unmapped read points \(unmappedReads)",
            "arrivals \(totals.arrivals), moves \(totals.moves), departures \(totals.departures)",
            String(format: "elapsed %.3f s, %.0f reads/s", seconds, readsPerSecond),
        ]
        if let last = lastEventTime { lines.append("clock stopped at \(last.rfc3339)") }
        if session.readerOverflows > 0 {
            lines.append(
                "warning: readers reported \(session.readerOverflows) buffer overflow(s): reads were lost upstream"
            )
        }
        return lines.joined(separator: "\n")
    }

    /// The summary for scripts.
    var json: String {
        let seconds = elapsed.inSeconds
        let object: [String: Any] = [
            "files": files,
            "messages": session.messages,
            "tag_reads": totals.tagEvents,
            "reader_read_count": totals.tagReads,
            "ignored_events": session.ignoredEvents,
            "rejected": Dictionary(uniqueKeysWithValues: session.rejected.map { ($0.key.rawValue, $0.value) }),
            "redelivered": redelivered,
            "unmapped_reads": unmappedReads,
            "arrivals": totals.arrivals,
            "moves": totals.moves,
            "departures": totals.departures,
            "elapsed_seconds": seconds,
            "reads_per_second": readsPerSecond,
            "last_event_time": lastEventTime?.rfc3339 ?? NSNull(),
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
