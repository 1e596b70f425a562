import SortgateCore

extension SiteConfigLoader {
    /// `transport: {dwell: {ZONE-TYPE: DURATION…}, epcis: {location: SGLN}}`.
    func readTransport(_ node: YAMLNode, _ path: String) -> TransportConfig? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping with dwell and/or epcis", log: log) else {
            return nil
        }
        map.reportUnknownKeys(known: ["dwell", "epcis"])
        var config = TransportConfig()
        var clean = true
        if let dwellNode = map["dwell"], !dwellNode.isNull {
            let dwellPath = map.path("dwell")
            if let dwell = YAMLMapping(
                dwellNode,
                path: dwellPath,
                expected: "a mapping of zone types to durations, e.g. {staging: 2h}",
                log: log
            ) {
                let types = ZoneType.allCases.map(\.rawValue)
                for pair in dwell.pairs {
                    guard let type = ZoneType(rawValue: pair.key) else {
                        log.error(
                            at: pair.keyNode,
                            path: dwell.path(pair.key),
                            "unknown zone type '\(pair.key)'; expected \(ConfigWording.alternatives(types))"
                                + ConfigWording.didYouMean(pair.key, among: types)
                        )
                        clean = false
                        continue
                    }
                    guard let limit = pair.value.duration(dwell.path(pair.key), log: log, allowZero: false) else {
                        clean = false
                        continue
                    }
                    config.dwell[type] = limit
                }
            } else {
                clean = false
            }
        }
        if let epcisNode = map["epcis"], !epcisNode.isNull {
            guard
                var epcis = YAMLMapping(
                    epcisNode,
                    path: map.path("epcis"),
                    expected: "a mapping with location",
                    log: log
                )
            else { return nil }
            epcis.reportUnknownKeys(known: ["location"])
            config.epcisLocation = epcis.required("location", "the site's SGLN, e.g. urn:epc:id:sgln:4012345.00001.0") {
                node,
                path -> SGLNLocation? in
                guard let text = node.text(path, expected: "an SGLN URI", log: log) else { return nil }
                switch SGLNLocation.parse(text) {
                case .success(let location): return location
                case .failure(let problem):
                    log.error(at: node, path: path, problem.reason)
                    return nil
                }
            }
            if config.epcisLocation == nil { clean = false }
        }
        return clean ? config : nil
    }

    /// Every zone without its own `sgln` takes its name as the extension of the site's SGLN: a name
    /// that cannot be one (a character outside the GS1 set, more than 20 characters) is reported at
    /// the zone, asking for an explicit `sgln`.
    func checkZoneLocations(_ zones: [ZoneConfig], _ node: YAMLNode, _ path: String) {
        guard let map = YAMLMapping(node, path: path, expected: "a mapping of zone names to zones", log: log) else {
            return
        }
        let site = SGLNLocation.parse("urn:epc:id:sgln:000000.000000.0")
        guard case .success(let probe) = site else { return }
        for zone in zones where zone.sgln == nil {
            guard case .failure(let problem) = probe.withExtension(zone.name), let pair = map.pair(zone.name) else {
                continue
            }
            log.error(
                at: pair.keyNode,
                path: map.path(zone.name),
                "zone name '\(zone.name)' cannot be the extension of the site's SGLN (\(problem.reason)); "
                    + "give the zone its own sgln: urn:epc:id:sgln:…"
            )
        }
    }
}
