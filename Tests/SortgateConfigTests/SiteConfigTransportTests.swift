import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import Testing

/// The `transport` section and zone `sgln`s: dwell limits and EPCIS locations, checked with
/// file:line:column like the rest of the config.
@Suite("SiteConfig transport")
struct SiteConfigTransportTests {
    @Test("dwell limits per zone type; zones named by the site's SGLN with their name, or their own sgln")
    func valid() throws {
        let yaml = """
            site: test
            database: {sqlite: test.sqlite}
            zones:
              dock-in-1: {type: dock-in}
              trailer-7: {type: vehicle, sgln: "urn:epc:id:sgln:4012345.00001.7"}
            devices: []
            transport:
              dwell: {staging: 2h, dock-in: 30m}
              epcis: {location: "urn:epc:id:sgln:4012345.00001.0"}

            """
        let config = try ConfigFixtures.withFolder(["site.yaml": yaml]) { folder in
            try SiteConfig.load(path: folder + "/site.yaml")
        }
        #expect(config.transport.dwell == [.staging: .seconds(7200), .dockIn: .seconds(1800)])
        #expect(config.transport.epcisLocation?.description == "urn:epc:id:sgln:4012345.00001.0")
        #expect(
            config.zoneLocations.mapValues(\.description) == [
                "dock-in-1": "urn:epc:id:sgln:4012345.00001.dock-in-1",
                "trailer-7": "urn:epc:id:sgln:4012345.00001.7",
            ]
        )
        let topology = SiteTopology(config: config)
        #expect(topology.transport.zoneRoles == [.dockIn, .vehicle])
        #expect(topology.transport.dwellLimits == [.staging: .seconds(7200), .dockIn: .seconds(1800)])
    }

    @Test("unknown zone type, bad SGLNs, and a zone name that cannot be an SGLN extension")
    func problems() throws {
        let yaml = """
            site: test
            database: {sqlite: test.sqlite}
            zones:
              dock-in-1: {type: dock-in}
              "cold room #1 with a long name": {type: cold-room}
              trailer-7: {type: vehicle, sgln: "urn:epc:id:sgln:4012345.001.7"}
            devices: []
            transport:
              dwell: {stagin: 2h, chute: soon}
              epcis: {location: "urn:epc:id:sgtin:4012345.00001.0"}

            """
        #expect(
            try ConfigFixtures.problems(yaml) == [
                "site.yaml:6:36: zones.trailer-7.sgln: 'urn:epc:id:sgln:4012345.001.7': company prefix (6 to 12 digits) "
                    + "and location reference (digits) must be 12 digits together",
                "site.yaml:9:11: transport.dwell.stagin: unknown zone type 'stagin'; expected dock-in, induction, "
                    + "sorter, chute, staging, cold-room, dock-out or vehicle; did you mean 'staging'?",
                #"site.yaml:9:30: transport.dwell.chute: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got "soon""#,
                "site.yaml:10:21: transport.epcis.location: expected an SGLN URI such as "
                    + "urn:epc:id:sgln:4012345.00001.0, got 'urn:epc:id:sgtin:4012345.00001.0'",
            ]
        )
        let unusable = """
            site: test
            database: {sqlite: test.sqlite}
            zones:
              dock-in-1: {type: dock-in}
              "cold room #1": {type: cold-room}
            devices: []
            transport: {epcis: {location: "urn:epc:id:sgln:4012345.00001.0"}}

            """
        #expect(
            try ConfigFixtures.problems(unusable) == [
                "site.yaml:5:3: zones.cold room #1: zone name 'cold room #1' cannot be the extension of the site's "
                    + "SGLN (extension character 5 (0x20) is not in the GS1 AI character set (TDS Table A-1)); "
                    + "give the zone its own sgln: urn:epc:id:sgln:…"
            ]
        )
    }
}
