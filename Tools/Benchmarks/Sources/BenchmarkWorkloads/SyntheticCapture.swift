import Foundation
public import SortgateCore

/// A capture file and the site config to replay it, written to a temporary folder.
///
/// Eight readers, four antennas each (one zone per antenna): four Zebra FX9600s delivering
/// batches of `zebraBatch` data events per message (the IoT Connector's batched mode), and four
/// Impinj R700s sending one tag-inventory event per message (their MQTT default). Reads come
/// from ``SyntheticReadStream``, so the replay sees arrivals, refreshes, moves and departures.
public struct SyntheticCapture: Sendable {
    public let folder: String
    public let capturePath: String
    public let configPath: String
    public let databasePath: String
    public let reads: Int
    public let messages: Int

    /// The repository's root, for the shipped device profiles.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// - Parameter phases: how many times each tag moves on to its next zone over the capture, plus
    ///   one (4: three moves; 1: the tags stay where they arrived, as on a shelf or in a cold room).
    public init(reads: Int, tags: Int = 20_000, phases: Int = 4, zebraBatch: Int = 50, seed: UInt64 = 7) throws {
        folder = NSTemporaryDirectory() + "sortgate-bench-\(getpid())-\(reads)-\(tags)-\(phases)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        capturePath = folder + "/capture.jsonl"
        configPath = folder + "/site.yaml"
        databasePath = folder + "/sortgate.sqlite"
        self.reads = reads
        let site = SyntheticSite(readers: 8)
        try Self.siteConfig(site: site, database: databasePath).write(
            toFile: configPath,
            atomically: true,
            encoding: .utf8
        )

        var stream = SyntheticReadStream(
            site: site,
            tags: tags,
            phaseReads: reads / phases,
            step: .microseconds(20),
            seed: seed
        )
        var out = Data()
        out.reserveCapacity(reads * 230)
        var pending = Array(repeating: [String](), count: site.readers)
        var eventNumbers = Array(repeating: 0, count: site.readers)
        var messages = 0
        func emit(_ reader: Int, _ payload: String, at time: EventTime) {
            let arrival = EventTime(nanoseconds: time.nanoseconds + 5_000_000)
            let escaped = payload.replacingOccurrences(of: "\"", with: "\\\"")
            out.append(
                contentsOf: Array(
                    #"{"t":"\#(arrival.rfc3339)","source":"reader-\#(reader)","topic":"readers/\#(reader)/events","payload":"\#(escaped)"}"#
                        .utf8
                )
            )
            out.append(UInt8(ascii: "\n"))
            messages += 1
        }
        for _ in 0..<reads {
            let read = stream.next()
            let reader = read.source.index
            let time = read.time.rfc3339
            if reader < 4 {
                eventNumbers[reader] += 1
                pending[reader].append(
                    #"{"data":{"antenna":\#(read.antenna),"eventNum":\#(eventNumbers[reader]),"format":"epc","#
                        + #""idHex":"\#(read.epc.hex)","peakRssi":-55,"reads":1},"timestamp":"\#(time)","type":"SIMPLE"}"#
                )
                if pending[reader].count == zebraBatch {
                    emit(reader, "[" + pending[reader].joined(separator: ",") + "]", at: read.time)
                    pending[reader].removeAll(keepingCapacity: true)
                }
            } else {
                emit(
                    reader,
                    #"{"timestamp":"\#(time)","hostname":"impinj-\#(reader)","eventType":"tagInventory","#
                        + #""tagInventoryEvent":{"epcHex":"\#(read.epc.hex)","antennaPort":\#(read.antenna),"#
                        + #""peakRssiCdbm":-5500}}"#,
                    at: read.time
                )
            }
        }
        for reader in 0..<4 where !pending[reader].isEmpty {
            emit(reader, "[" + pending[reader].joined(separator: ",") + "]", at: stream.lastTime)
        }
        try out.write(to: URL(fileURLWithPath: capturePath))
        self.messages = messages
    }

    static func siteConfig(site: SyntheticSite, database: String) -> String {
        var text = """
            site: benchmark
            database: {sqlite: \(database)}
            profiles_path: [\(repositoryRoot)/Devices]
            brokers:
              site: {host: 127.0.0.1, port: 1883}
            dedup: {absent_after: 1s}
            zones:

            """
        for zone in 0..<site.zones { text += "  zone-\(zone): {type: sorter}\n" }
        text += "devices:\n"
        for reader in 0..<site.readers {
            let points = (1...4).map { "\($0): zone-\(reader * 4 + $0 - 1)" }.joined(separator: ", ")
            text += """
                  - id: reader-\(reader)
                    profile: \(reader < 4 ? "zebra-fx9600" : "impinj-r700")
                    broker: site
                    topic: readers/\(reader)/events
                    read_points: {\(points)}

                """
        }
        return text
    }

    /// Removes the folder.
    public func remove() {
        try? FileManager.default.removeItem(atPath: folder)
    }
}
