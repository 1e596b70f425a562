import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore
import Testing

/// `sortgate manifest import`: bad rows are reported with file:line[:column] and skipped, the
/// good ones imported, and the exit status says something was rejected.
@Suite("Manifest import")
struct ManifestImportTests {
    @Test("CSV: each bad row named by line and column, with a hint; good rows imported; exit 1")
    func badRowsCSV() throws {
        let folder = try TemporaryFolder()
        let configPath = try TransportReplayTests.siteConfig(in: folder)
        let csv = """
            container,shipment,destination,class,expected_by,items
            urn:epc:id:sscc:4012345.0000000001,S1,chute-01,,2026-11-28T09:00:00Z,urn:epc:id:sgtin:4012345.012345.7
            urn:epc:id:sscc:4012345.0000000002,S1,chute-1,,,
            3074257BF7194E4000001A85,S1,chute-01,,,
            urn:epc:id:sscc:4012345.0000000003,S2,chute-02,chiled,,
            urn:epc:id:sscc:4012345.0000000004,S2,chute-02,,tomorrow,
            urn:epc:id:sscc:4012345.0000000001,S2,chute-02,,,
            040123450000000047,S2,dock-out-1,chilled,,
            urn:epc:id:sscc:4012345.0000000005,S2
            """
        try csv.write(toFile: folder.path("m.csv"), atomically: true, encoding: .utf8)
        let (status, output, errors) = try TransportReplayTests.sortgate(
            ["manifest", "import", folder.path("m.csv"), "--config", configPath],
            in: folder
        )
        #expect(status == 1)
        let file = folder.path("m.csv")
        let lines = errors.split(separator: "\n").map(String.init)
        #expect(lines.count == 6, "\(errors)")
        #expect(
            lines[0]
                == "\(file):3:39: destination 'chute-1' is not a chute or dock-out of the site; did you mean 'chute-01'?"
        )
        #expect(
            lines[1].hasPrefix("\(file):4:1: container: invalid EPC '3074257BF7194E4000001A85': not an SSCC or GRAI")
        )
        #expect(
            lines[2] == "\(file):5:48: class 'chiled' is not a class of cold_chain.classes; did you mean 'chilled'?"
        )
        #expect(lines[3].hasPrefix("\(file):6:49: expected_by: "))
        #expect(lines[4] == "\(file):7:1: container urn:epc:id:sscc:4012345.0000000001 is already listed at line 2")
        #expect(lines[5] == "\(file):9: expected 6 fields as in the header, got 2")
        #expect(output.contains("2 container(s) of 2 shipment(s): 2 added, 0 changed, 0 unchanged; rejected 6"))
        let store = try SQLiteStore.openReadOnly(path: folder.path("sortgate.sqlite"))
        let stored = try store.manifestContainers()
        #expect(stored.map(\.shipment) == ["S1", "S2"])
        #expect(
            stored.first?.items == [
                try EPCIdentity(pureIdentityURI: "urn:epc:id:sgtin:4012345.012345.7", scheme: .sgtin96, filter: 0).epc
                    .hex
            ]
        )
        // The SSCC-18 040123450000000047 (prefix 4012345) is the SSCC of serial reference 0000000004.
        #expect(stored.last?.uri == "urn:epc:id:sscc:4012345.0000000004")
        #expect(stored.last?.destination == "dock-out-1")
        #expect(stored.first?.expectedBy == "2026-11-28T09:00:00.000000000Z")
        let transport = try store.transport()
        #expect(transport.map(\.status) == ["expected", "expected"])
    }

    @Test("CSV with Windows line ends reads row by row, as with Unix ones")
    func windowsLineEnds() throws {
        let folder = try TemporaryFolder()
        let configPath = try TransportReplayTests.siteConfig(in: folder)
        let config = try SiteConfig.load(path: configPath)
        let csv = [
            "container,shipment,destination,class,expected_by,items",
            "urn:epc:id:sscc:4012345.0000000001,S1,chute-01,,,",
            "urn:epc:id:sscc:4012345.0000000002,S1,chute-02,,,",
            "",
        ].joined(separator: "\r\n")
        try csv.write(toFile: folder.path("m.csv"), atomically: true, encoding: .utf8)
        let manifest = try ManifestFile.load(path: folder.path("m.csv"), site: config)
        #expect(manifest.problems.map(\.description) == [])
        #expect(manifest.rows.count == 2)
        #expect(manifest.rows.map(\.shipment) == ["S1", "S1"])
        #expect(manifest.rows.map(\.destination) == ["chute-01", "chute-02"])
        #expect(manifest.rows.map(\.source) == ["\(folder.path("m.csv")):2", "\(folder.path("m.csv")):3"])
    }

    @Test("JSON: problems name the line each entry starts on; a changed row replaces the old one")
    func json() throws {
        let folder = try TemporaryFolder()
        let configPath = try TransportReplayTests.siteConfig(in: folder)
        let json = """
            [
              {"container": "urn:epc:id:sscc:4012345.0000000001", "shipment": "S1", "destination": "chute-01",
               "items": ["urn:epc:id:sgtin:4012345.012345.7"]},
              {"container": "urn:epc:id:sscc:4012345.0000000002", "shipment": "S1",
               "destination": "chute-02", "priority": "high"},
              {"container": "urn:epc:id:sscc:4012345.0000000003", "shipment": 7, "destination": "chute-02"}
            ]
            """
        try json.write(toFile: folder.path("m.json"), atomically: true, encoding: .utf8)
        let file = folder.path("m.json")
        let (status, output, errors) = try TransportReplayTests.sortgate(
            ["manifest", "import", file, "--config", configPath],
            in: folder
        )
        #expect(status == 1)
        #expect(errors == "\(file):4: unknown key 'priority'\n\(file):6: 'shipment' must be a string\n")
        #expect(output.contains("1 added, 0 changed, 0 unchanged; rejected 2; manifest generation 1"))
        let changed = """
            [{"container": "urn:epc:id:sscc:4012345.0000000001", "shipment": "S1", "destination": "chute-02"}]
            """
        try changed.write(toFile: folder.path("m2.json"), atomically: true, encoding: .utf8)
        let (again, againOutput, _) = try TransportReplayTests.sortgate(
            ["manifest", "import", folder.path("m2.json"), "--config", configPath],
            in: folder
        )
        #expect(again == 0)
        #expect(againOutput.contains("0 added, 1 changed, 0 unchanged; rejected 0; manifest generation 2"))
        let store = try SQLiteStore.openReadOnly(path: folder.path("sortgate.sqlite"))
        #expect(try store.manifestContainers().map(\.destination) == ["chute-02"])
        #expect(try store.manifestContainers().map(\.items) == [[]])
        #expect(try store.shipments().map(\.destination) == ["chute-02"])
    }
}
