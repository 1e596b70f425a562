import Foundation
import SortgateConfig
import SortgateCore
import Testing

/// Paths of the config fixtures, and scratch configs written to a temporary folder.
enum ConfigFixtures {
    /// `Fixtures/config` inside the test bundle.
    static let root: String = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.path + "/config"

    /// Writes `files` (relative path → text) into a new temporary folder, runs `body` with the
    /// folder, and removes it.
    static func withFolder<T>(_ files: [String: String], _ body: (String) throws -> T) throws -> T {
        let folder = FileManager.default.temporaryDirectory.path + "/sortgate-config-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, text) in files {
            let path = folder + "/" + name
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true
            )
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }
        return try body(folder)
    }

    /// Loads `yaml` as `site.yaml` in a temporary folder, next to a `Devices` folder holding
    /// `profiles` (name → text) and with the valid fixture profiles shipped, and returns the
    /// diagnostics with the folder stripped (`site.yaml:3:5: …`); empty when it loads.
    static func problems(_ yaml: String, profiles: [String: String] = [:]) throws -> [String] {
        var files = ["site.yaml": yaml]
        for (name, text) in profiles { files["Devices/\(name).yaml"] = text }
        return try withFolder(files) { folder in
            do throws(ConfigError) {
                _ = try SiteConfig.load(path: folder + "/site.yaml", shippedProfileFolders: [root + "/valid/Devices"])
                return []
            } catch {
                return error.diagnostics.map { $0.description.replacingOccurrences(of: folder + "/", with: "") }
            }
        }
    }

    /// The smallest valid config, to which a test appends the lines it is about.
    static let minimal = """
        site: test
        database: {sqlite: test.sqlite}
        zones:
          dock-in-1: {type: dock-in}
        devices: []

        """
}

@Suite("Site config: loading a valid config")
struct SiteConfigLoadingTests {
    let folder = ConfigFixtures.root + "/valid"

    func loadValid() throws -> SiteConfig {
        try SiteConfig.load(path: folder + "/site.yaml", shippedProfileFolders: [ConfigFixtures.root + "/shipped"])
    }

    @Test("top-level values, resolved paths and defaults")
    func topLevel() throws {
        let config = try loadValid()
        #expect(config.file == folder + "/site.yaml")
        #expect(config.site == "test-center")
        #expect(config.database == .sqlite(path: ConfigFixtures.root + "/data/sortgate.sqlite"))
        #expect(config.profilesPath == [folder + "/Devices", ConfigFixtures.root + "/Devices"])
        #expect(config.maxPayload == 131_072)
        #expect(config.statusInterval == .seconds(60))
        #expect(config.quarantineLimit == 500)
        #expect(config.dedup == DedupConfig(absentAfter: .seconds(90)))
    }

    @Test("brokers with every key, and with defaults only")
    func brokers() throws {
        let config = try loadValid()
        #expect(config.brokers.count == 2)
        #expect(
            config.brokers["site"]
                == BrokerConfig(
                    name: "site",
                    host: "127.0.0.1",
                    port: 1884,
                    clientID: "gw-1",
                    cleanSession: true,
                    keepalive: .seconds(45),
                    protocolVersion: .mqttv5,
                    username: "gateway",
                    passwordFile: folder + "/secrets/mqtt.pw",
                    tls: TLSConfig(
                        ca: folder + "/certs/ca.pem",
                        cert: folder + "/certs/gw.pem",
                        key: folder + "/certs/gw.key"
                    )
                )
        )
        #expect(
            config.brokers["backup"]
                == BrokerConfig(
                    name: "backup",
                    host: "broker.example.invalid",
                    port: 1883,
                    clientID: "sortgate-test-center",
                    cleanSession: false,
                    keepalive: .seconds(30),
                    protocolVersion: .mqttv311
                )
        )
    }

    @Test("zones in file order, and cold-chain classes with defaults")
    func zonesAndClasses() throws {
        let config = try loadValid()
        #expect(
            config.zones == [
                ZoneConfig(name: "dock-in-1", type: .dockIn),
                ZoneConfig(name: "sorter-1", type: .sorter),
                ZoneConfig(name: "cold-room-a", type: .coldRoom, temperatureClass: "chilled"),
                ZoneConfig(name: "freezer", type: .coldRoom, temperatureClass: "frozen"),
            ]
        )
        #expect(
            config.coldChain.classes == [
                "chilled": TemperatureClass(min: 2, max: 8, alarmDelay: .seconds(600), clearHysteresis: 0.25),
                "frozen": TemperatureClass(min: nil, max: -18, alarmDelay: .seconds(300), clearHysteresis: 0.5),
            ]
        )
    }

    @Test("MQTT devices: read points, the \"*\" read point, profiles from each search folder")
    func mqttDevices() throws {
        let config = try loadValid()
        #expect(
            config.devices.map(\.id) == ["dock1-reader", "sorter-reader", "coldroom-a-t1", "freezer-t1", "json-reader"]
        )

        let dock = config.devices[0]
        #expect(dock.profileName == "impinj-r700")
        // The config's own Devices folder wins over the shipped profile of the same name.
        #expect(dock.profile.file == folder + "/Devices/impinj-r700.yaml")
        #expect(dock.profile.model == "Impinj R700")
        #expect(dock.profile.payload == .impinjIoT)
        guard case .mqtt(let mqtt) = dock.connection else {
            Issue.record("dock1-reader is not an MQTT device: \(dock.connection)")
            return
        }
        #expect(
            mqtt
                == MQTTDeviceConfig(
                    broker: "site",
                    topic: "readers/+/events",
                    qos: 2,
                    onFull: .dropOldest,
                    readPoints: [1: "dock-in-1", 2: "dock-in-1"],
                    defaultZone: "sorter-1"
                )
        )

        let sorter = config.devices[1]
        #expect(sorter.profile.file == ConfigFixtures.root + "/Devices/zebra-fx9600.yaml")
        #expect(
            sorter.connection
                == .mqtt(MQTTDeviceConfig(broker: "backup", topic: "zebra/#", readPoints: [:], defaultZone: "sorter-1"))
        )

        let json = config.devices[4]
        #expect(json.profile.file == ConfigFixtures.root + "/shipped/acme-json.yaml")
        #expect(
            json.connection == .mqtt(MQTTDeviceConfig(broker: "site", topic: "acme/reads", readPoints: [3: "sorter-1"]))
        )
    }

    @Test("Modbus devices over TCP and serial, with poll and timeout defaults")
    func modbusDevices() throws {
        let config = try loadValid()
        let tcp = config.devices[2]
        #expect(tcp.profile.kind == .temperatureSensor)
        #expect(
            tcp.connection
                == .modbus(
                    ModbusDeviceConfig(
                        endpoint: .tcp(host: "127.0.0.1", port: 1502),
                        unit: 3,
                        poll: .seconds(5),
                        timeout: .milliseconds(250),
                        zone: "cold-room-a"
                    )
                )
        )
        let serial = config.devices[3]
        #expect(
            serial.connection
                == .modbus(
                    ModbusDeviceConfig(
                        endpoint: .serial(path: "/dev/ttyUSB0", baud: 19_200, parity: .even, dataBits: 8, stopBits: 2),
                        unit: 7,
                        poll: .seconds(10),
                        timeout: .milliseconds(500),
                        zone: "freezer"
                    )
                )
        )
    }

    @Test("alerts and HTTP")
    func alertsAndHTTP() throws {
        let config = try loadValid()
        #expect(config.alerts.mqtt == AlertMQTTRoute(broker: "site", topic: "sortgate/alerts", qos: 2))
        #expect(config.alerts.webhook == AlertWebhookRoute(url: "https://example.invalid/hook", timeout: .seconds(3)))
        #expect(config.http == HTTPConfig(bind: "0.0.0.0", port: 9090, tokenFile: folder + "/secrets/http.token"))
    }

    @Test("defaults of a minimal config")
    func minimalDefaults() throws {
        let config = try ConfigFixtures.withFolder(["site.yaml": ConfigFixtures.minimal]) { folder in
            try SiteConfig.load(path: folder + "/site.yaml")
        }
        #expect(config.maxPayload == 65_536)
        #expect(config.quarantineLimit == 10_000)
        #expect(config.statusInterval == nil)
        #expect(config.brokers.isEmpty)
        #expect(config.devices.isEmpty)
        #expect(config.dedup.absentAfter == .seconds(30))
        #expect(config.coldChain.classes.isEmpty)
        #expect(config.alerts == AlertsConfig())
        #expect(config.http == nil)
        #expect(config.profilesPath.map { $0.split(separator: "/").suffix(1) } == [["Devices"], ["Devices"]])
    }

    @Test("a config named by a relative path resolves paths relative to the working folder, as written")
    func relativeConfigPath() throws {
        // Relative to the working folder without changing it: tests share the process.
        let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).resolvingSymlinksInPath()
            .pathComponents
        let fixtures = URL(fileURLWithPath: ConfigFixtures.root).resolvingSymlinksInPath().pathComponents
        let common = zip(here, fixtures).prefix { $0 == $1 }.count
        let relative = (Array(repeating: "..", count: here.count - common) + fixtures[common...]).joined(separator: "/")

        let config = try SiteConfig.load(
            path: relative + "/valid/site.yaml",
            shippedProfileFolders: [relative + "/shipped"]
        )
        #expect(config.file == relative + "/valid/site.yaml")
        #expect(config.database == .sqlite(path: relative + "/data/sortgate.sqlite"))
        #expect(config.profilesPath == [relative + "/valid/Devices", relative + "/Devices"])
        #expect(config.devices[1].profile.file == relative + "/Devices/zebra-fx9600.yaml")
        #expect(config.devices[4].profile.file == relative + "/shipped/acme-json.yaml")
        #expect(config.brokers["site"]?.passwordFile == relative + "/valid/secrets/mqtt.pw")
    }

    @Test(
        "durations and sizes",
        arguments: [
            ("dedup: {absent_after: 500ms}", Duration.milliseconds(500)),
            ("dedup: {absent_after: 30s}", .seconds(30)),
            ("dedup: {absent_after: 5m}", .seconds(300)),
            ("dedup: {absent_after: 2h}", .seconds(7200)),
            ("dedup: {absent_after: 1d}", .seconds(86_400)),
            ("dedup: {absent_after: 0.25s}", .milliseconds(250)),
            ("dedup: {absent_after: 1.5 ms}", .microseconds(1500)),
        ]
    )
    func durations(line: String, expected: Duration) throws {
        let config = try ConfigFixtures.withFolder(["site.yaml": ConfigFixtures.minimal + line]) { folder in
            try SiteConfig.load(path: folder + "/site.yaml")
        }
        #expect(config.dedup.absentAfter == expected)
    }

    @Test("sizes", arguments: [("65536", 65_536), ("512B", 512), ("64KiB", 65_536), ("1 MiB", 1_048_576)])
    func sizes(text: String, expected: Int) throws {
        let config = try ConfigFixtures.withFolder(["site.yaml": ConfigFixtures.minimal + "max_payload: \(text)"]) {
            folder in
            try SiteConfig.load(path: folder + "/site.yaml")
        }
        #expect(config.maxPayload == expected)
    }

    @Test("status_interval 0 means off; loopback binds need no token")
    func offSwitchesAndAlternatives() throws {
        let yaml = """
            site: test
            database: {sqlite: sortgate.sqlite}
            status_interval: 0
            zones: {dock-in-1: {type: dock-in}}
            devices:
            http: {bind: localhost}
            """
        let config = try ConfigFixtures.withFolder(["site.yaml": yaml]) { folder in
            try SiteConfig.load(path: folder + "/site.yaml")
        }
        #expect(config.statusInterval == nil)
        #expect(config.devices.isEmpty)
        #expect(config.http == HTTPConfig(bind: "localhost", port: 8080, tokenFile: nil))
    }

    @Test("unreadable files are refused by check-config, since sortgate run would stop on them")
    func refusedBeforeRun() throws {
        let problems = try ConfigFixtures.problems(
            """
            site: test
            database: {postgres: "postgres://sortgate@db:5432/sortgate", password_file: gone.pw}
            zones: {dock-in-1: {type: dock-in}}
            brokers: {site: {host: 127.0.0.1, username: gw, password_file: missing.pw}}
            devices: []
            """
        )
        #expect(
            problems == [
                "site.yaml:2:77: database.password_file: cannot read 'gone.pw': No such file or directory",
                "site.yaml:4:64: brokers.site.password_file: cannot read 'missing.pw': No such file or directory",
            ]
        )
    }

    @Test("a hub config: database postgres with its password file and TLS, for the reading commands and replay")
    func hubDatabase() throws {
        let yaml = """
            site: hub
            database:
              postgres: postgres://reader@central.example:6432/operations
              password_file: hub.pw
              tls: {ca: ca.pem}
            zones: {dock-in-1: {type: dock-in}}
            devices: []
            """
        let config = try ConfigFixtures.withFolder(["site.yaml": yaml, "hub.pw": "secret\n", "ca.pem": "-"]) { folder in
            (try SiteConfig.load(path: folder + "/site.yaml"), folder)
        }
        guard case .postgres(let server) = config.0.database else {
            Issue.record("expected a postgres database, got \(config.0.database)")
            return
        }
        #expect(server.host == "central.example")
        #expect(server.port == 6432)
        #expect(server.user == "reader")
        #expect(server.database == "operations")
        #expect(server.passwordFile == config.1 + "/hub.pw")
        #expect(server.tls?.ca == config.1 + "/ca.pem")
        #expect(server.serverName == "central.example:6432/operations")
        #expect(config.0.central == nil)
    }

    @Test("central: the server, the backlog bound and the batch size, with their defaults")
    func centralSection() throws {
        let yaml = """
            site: line-2
            database: {sqlite: sortgate.sqlite}
            zones: {dock-in-1: {type: dock-in}}
            devices: []
            central:
              postgres: postgresql://gw-line-2@10.0.0.5/central
              password_file: central.pw
              max_backlog: {rows: 2000000, age: 2d}
              batch_rows: 20000
            """
        let config = try ConfigFixtures.withFolder(["site.yaml": yaml, "central.pw": "secret\n"]) { folder in
            try SiteConfig.load(path: folder + "/site.yaml")
        }
        let central = try #require(config.central)
        #expect(central.server.host == "10.0.0.5")
        #expect(central.server.port == 5432)
        #expect(central.server.user == "gw-line-2")
        #expect(central.server.database == "central")
        #expect(central.server.tls == nil)
        #expect(central.maxBacklogRows == 2_000_000)
        #expect(central.maxBacklogAge == .seconds(2 * 86_400))
        #expect(central.batchRows == 20_000)
        #expect(central.interval == CentralConfig.defaultInterval)

        let defaults = try ConfigFixtures.withFolder([
            "site.yaml": "site: s\ndatabase: {sqlite: s.sqlite}\nzones: {d: {type: dock-in}}\ndevices: []\ncentral: {postgres: postgres://gw@db}\n"
        ]) { folder in try SiteConfig.load(path: folder + "/site.yaml") }
        #expect(defaults.central?.server.database == "gw")
        #expect(defaults.central?.maxBacklogRows == CentralConfig.defaultMaxBacklogRows)
        #expect(defaults.central?.maxBacklogAge == CentralConfig.defaultMaxBacklogAge)
        #expect(defaults.central?.batchRows == CentralConfig.defaultBatchRows)
    }

    @Test("central and hub database problems name file:line:column")
    func centralProblems() throws {
        let problems = try ConfigFixtures.problems(
            """
            site: test
            database: {postgres: "postgres://hub@db/hub"}
            zones: {dock-in-1: {type: dock-in}}
            devices: []
            central:
              postgres: postgres://gw:secret@db/central
              password: hunter2
              max_backlog: {rows: 10, age: soon}
              batch_rows: 5
            """
        )
        #expect(
            problems == [
                "site.yaml:5:1: central: central ships a gateway's SQLite facts to PostgreSQL; this config's database "
                    + "is already PostgreSQL (a hub config): remove central, or give database: {sqlite: PATH}",
                "site.yaml:6:13: central.postgres: a password is never written in the config; put it in a file only "
                    + "sortgate can read and name that file with password_file, got \"postgres://gw:secret@db/central\"",
                "site.yaml:7:3: central.password: a password is never written in the config; put it in a file only "
                    + "sortgate can read and name that file with password_file",
                "site.yaml:8:23: central.max_backlog.rows: expected a number of rows from 1000 to 10000000000, got 10",
                "site.yaml:8:32: central.max_backlog.age: expected a duration such as 500ms, 30s, 5m, 2h or 1d, "
                    + "got \"soon\"",
                "site.yaml:9:15: central.batch_rows: expected a number of rows from 100 to 1000000, got 5",
            ]
        )
        let hub = try ConfigFixtures.problems(
            """
            site: test
            database: {postgres: "mysql://gw@db/central"}
            zones: {dock-in-1: {type: dock-in}}
            devices: []
            """
        )
        #expect(
            hub == [
                "site.yaml:2:22: database.postgres: expected a URL such as postgres://sortgate@db:5432/sortgate, "
                    + "got \"mysql://gw@db/central\""
            ]
        )
    }

    @Test("anchors, aliases and merge keys are resolved")
    func mergeKeys() throws {
        let yaml =
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1}}
                devices:
                  - &reader
                    id: r1
                    profile: impinj-r700
                    broker: site
                    topic: readers/r1
                    read_points: {"*": dock-in-1}
                  - <<: *reader
                    id: r2
                    topic: readers/r2
                """
        let config = try ConfigFixtures.withFolder(["site.yaml": yaml]) { folder in
            try SiteConfig.load(
                path: folder + "/site.yaml",
                shippedProfileFolders: [ConfigFixtures.root + "/valid/Devices"]
            )
        }
        #expect(config.devices.map(\.id) == ["r1", "r2"])
        #expect(
            config.devices[1].connection
                == .mqtt(
                    MQTTDeviceConfig(broker: "site", topic: "readers/r2", readPoints: [:], defaultZone: "dock-in-1")
                )
        )
    }
}

@Suite("Site config: each kind of problem, at its file:line:column")
struct SiteConfigErrorTests {
    @Test("YAML syntax error, at libyaml's mark")
    func syntaxError() throws {
        let problems = try ConfigFixtures.problems(
            """
            site: test
            database: {sqlite: test.sqlite
            zones: {}
            """
        )
        #expect(
            problems == [
                "site.yaml:3:6: YAML syntax error: did not find expected ',' or '}' (while parsing a flow mapping at "
                    + "line 2, column 11)"
            ]
        )
    }

    @Test("an unquoted * read point gets a hint to quote it")
    func unquotedStar() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal + """
                more:
                  *: dock-in-1
                """
        )
        #expect(
            problems == [
                "site.yaml:7:3: YAML syntax error: '*' here starts an alias (*name); to mean the text *, quote it, "
                    + "as in \"*\": zone"
            ]
        )
    }

    @Test("a file that cannot be read, an empty file, a file that is not a mapping")
    func unreadable() throws {
        try ConfigFixtures.withFolder(["empty.yaml": "# nothing\n", "list.yaml": "- a\n"]) { folder in
            for (name, message) in [
                ("missing.yaml", "1:1: cannot read the config file: No such file or directory"),
                ("empty.yaml", "1:1: the config file is empty; it must be a YAML mapping of keys to values"),
                (
                    "list.yaml",
                    "1:1: expected a site config: a mapping with site, database, zones and devices, got a list"
                ),
            ] {
                do throws(ConfigError) {
                    _ = try SiteConfig.load(path: folder + "/" + name)
                    Issue.record("loaded \(name)")
                } catch {
                    #expect(error.description == "\(folder)/\(name):\(message)")
                }
            }
        }
    }

    @Test("invalid UTF-8 is reported at the first bad byte")
    func invalidUTF8() throws {
        try ConfigFixtures.withFolder([:]) { folder in
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = folder + "/site.yaml"
            try Data("site: caf".utf8 + [0xE9] + Array("\n".utf8)).write(to: URL(fileURLWithPath: path))
            do throws(ConfigError) {
                _ = try SiteConfig.load(path: path)
                Issue.record("loaded a config that is not UTF-8")
            } catch {
                #expect(
                    error.description
                        == "\(path):1:10: the config file is not UTF-8 text (invalid byte here); save it as UTF-8"
                )
            }
        }
    }

    @Test("repeated duplicates with CRLF line endings, and a byte order mark")
    func duplicatesCRLFAndBOM() throws {
        let crlf =
            "\u{FEFF}site: a\r\nsite: b\r\nsite: c\r\ndatabase: {sqlite: x}\r\nzones: {z: {type: chute}}\r\n"
            + "devices: []\r\nstatus_intervall: 5s\r\n"
        #expect(
            try ConfigFixtures.problems(crlf) == [
                "site.yaml:2:1: duplicate key 'site' (first at line 1); keep one of them",
                "site.yaml:3:1: duplicate key 'site' (first at line 1); keep one of them",
                "site.yaml:7:1: unknown key 'status_intervall' at the top level; did you mean 'status_interval'?",
            ]
        )
    }

    @Test("a second YAML document in the file")
    func secondDocument() throws {
        let problems = try ConfigFixtures.problems(ConfigFixtures.minimal + "---\nsite: other\n")
        #expect(
            problems == [
                "site.yaml:6:1: YAML syntax error: a second document starts here, but the file must hold one; "
                    + "remove this '---' and what follows, or move it to its own file"
            ]
        )
    }

    @Test("aliases that expand without bound are refused")
    func aliasBomb() throws {
        var yaml = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (previous, name) in zip("abcdefgh", "bcdefghi") {
            let items = Array(repeating: "*\(previous)", count: 10).joined(separator: ", ")
            yaml += "\(name): &\(name) [\(items)]\n"
        }
        let problems = try ConfigFixtures.problems(yaml)
        #expect(
            problems == [
                "site.yaml:1:1: the config file expands to more than 1000000 YAML nodes (aliases nested too deep); "
                    + "write the values out"
            ]
        )
    }

    @Test("unknown keys, with and without a suggestion")
    func unknownKeys() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal + """
                dedup:
                  absent_afer: 30s
                colour: blue
                """
        )
        #expect(
            problems == [
                "site.yaml:7:3: unknown key 'absent_afer' in dedup; did you mean 'absent_after'?",
                "site.yaml:8:1: unknown key 'colour' at the top level; known keys: site, database, profiles_path, "
                    + "max_payload, status_interval, quarantine_limit, brokers, zones, devices, dedup, cold_chain, "
                    + "alerts, http, transport, ring, central",
            ]
        )
    }

    @Test("missing required keys; a misspelt one is reported once, as unknown")
    func missingKeys() throws {
        let problems = try ConfigFixtures.problems(
            """
            database: {sqlite: test.sqlite}
            zone:
              dock-in-1: {type: dock-in}
            """
        )
        #expect(
            problems == [
                "site.yaml:1:1: missing key 'site' (the site's name, e.g. demo-sorting-center)",
                "site.yaml:1:1: missing key 'devices' (the devices to read, or [] for none)",
                "site.yaml:2:1: unknown key 'zone' at the top level; did you mean 'zones'?",
            ]
        )
    }

    @Test("wrong types and values")
    func wrongTypes() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1, port: 70000, clean_session: maybe, protocol: mqtt5}}
                devices:
                  - id: r1
                    profile: impinj-r700
                    broker: site
                    topic: readers/1
                    qos: high
                    on_full: drop_oldest
                    read_points: {1: dock-in-1}
                quarantine_limit: -1
                """
        )
        #expect(
            problems == [
                "site.yaml:5:41: brokers.site.port: expected a port number from 1 to 65535, got 70000",
                "site.yaml:5:63: brokers.site.clean_session: expected true or false, got \"maybe\"",
                "site.yaml:5:80: brokers.site.protocol: expected mqttv31, mqttv311 or mqttv5, got \"mqtt5\"; did you "
                    + "mean 'mqttv5'?",
                "site.yaml:11:10: devices[0].qos: expected 0, 1 or 2, got \"high\"",
                "site.yaml:12:14: devices[0].on_full: expected block or drop-oldest, got \"drop_oldest\"; did you mean "
                    + "'drop-oldest'?",
                "site.yaml:14:19: quarantine_limit: expected a number of events from 0 to 10000000, got -1",
            ]
        )
    }

    @Test("bad durations and sizes")
    func badDurationsAndSizes() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal + """
                dedup: {absent_after: 30}
                status_interval: 10 sec
                max_payload: 64KB
                cold_chain:
                  classes:
                    chilled: {min: 2, max: 8, alarm_delay: -5m}
                alerts:
                  webhook: {url: "https://example.invalid/hook", timeout: 0s}
                """
        )
        #expect(
            problems == [
                "site.yaml:6:23: dedup.absent_after: 30 has no unit; write 30s for seconds (units: ms, s, m, h, d)",
                "site.yaml:7:18: status_interval: expected a duration such as 500ms, 30s, 5m, 2h or 1d, got \"10 sec\"",
                "site.yaml:8:14: max_payload: expected a size such as 65536, 64KiB or 1MiB, got \"64KB\"",
                "site.yaml:11:44: cold_chain.classes.chilled.alarm_delay: a duration cannot be negative, got \"-5m\"",
                "site.yaml:13:59: alerts.webhook.timeout: the duration must be more than 0, got \"0s\"",
            ]
        )
    }

    @Test("an unknown profile, with a suggestion from the search folders")
    func unknownProfile() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1}}
                devices:
                  - id: r1
                    profile: impinj-r900
                    broker: site
                    topic: readers/1
                    read_points: {1: dock-in-1}
                """
        )
        let shipped = ConfigFixtures.root + "/valid/Devices"
        #expect(
            problems == [
                "site.yaml:8:14: devices[0].profile: no profile 'impinj-r900' in Devices, ../Devices, \(shipped) "
                    + "(looked for impinj-r900.yaml); did you mean 'impinj-r700'?"
            ]
        )
    }

    @Test("a profile is named by its file name without .yaml")
    func profileNames() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                devices:
                  - {id: t1, profile: xy-md02.yaml, modbus: {host: h}, zone: dock-in-1}
                  - {id: t2, profile: ../secrets, modbus: {host: h}, zone: dock-in-1}
                """
        )
        #expect(
            problems == [
                "site.yaml:6:23: devices[0].profile: name the profile without .yaml: 'xy-md02'",
                "site.yaml:7:23: devices[1].profile: '../secrets' is not a profile name; name a file of profiles_path "
                    + "without .yaml, e.g. impinj-r700",
            ]
        )
    }

    @Test("a control character is a YAML reader error at its position")
    func controlCharacter() throws {
        let problems = try ConfigFixtures.problems("site: te\u{7}st\n")
        #expect(problems == ["site.yaml:1:9: YAML syntax error: control characters are not allowed (character U+0007)"])
    }

    @Test("errors inside a profile file are reported at the profile's own line and column, once")
    func profileFileErrors() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1}}
                devices:
                  - {id: r1, profile: odd-reader, broker: site, topic: a, read_points: {1: dock-in-1}}
                  - {id: r2, profile: odd-reader, broker: site, topic: b, read_points: {1: dock-in-1}}
                """,
            profiles: [
                "odd-reader": """
                model: Odd
                kind: rfid-reader
                protocol: mqtt
                payload: {format: json, epc: epc}
                """
            ]
        )
        #expect(
            problems == [
                "Devices/odd-reader.yaml:4:30: payload.epc: invalid JSON pointer \"epc\": "
                    + "a JSON pointer is empty or starts with '/' (write '/epc' for a top-level key)"
            ]
        )
    }

    @Test("duplicate device ids point at the second and name the first's line")
    func duplicateDeviceIDs() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1}}
                devices:
                  - {id: r1, profile: impinj-r700, broker: site, topic: a, read_points: {1: dock-in-1}}
                  - {id: r1, profile: impinj-r700, broker: site, topic: b, read_points: {1: dock-in-1}}
                """
        )
        #expect(
            problems == [
                "site.yaml:8:10: devices[1].id: duplicate device id 'r1' (first at line 7); give each device its own id"
            ]
        )
    }

    @Test("duplicate mapping keys, every one, at the later key")
    func duplicateKeys() throws {
        let problems = try ConfigFixtures.problems(
            """
            site: test
            database: {sqlite: test.sqlite}
            zones:
              dock-in-1: {type: dock-in}
              dock-in-1: {type: dock-out}
              "sorter": {type: sorter}
              sorter: {type: sorter}
              chute-1: {type: chute, type: chute}
            devices: []
            site: again
            """
        )
        #expect(
            problems == [
                "site.yaml:5:3: duplicate key 'dock-in-1' in zones (first at line 4); keep one of them",
                "site.yaml:7:3: duplicate key 'sorter' in zones (first at line 6); keep one of them",
                "site.yaml:8:26: duplicate key 'type' in zones.chute-1 (first at line 8); keep one of them",
                "site.yaml:10:1: duplicate key 'site' (first at line 1); keep one of them",
            ]
        )
    }

    @Test("undeclared zones, classes and brokers")
    func undeclaredReferences() throws {
        let problems = try ConfigFixtures.problems(
            """
            site: test
            database: {sqlite: test.sqlite}
            brokers: {site: {host: 127.0.0.1}}
            zones:
              dock-in-1: {type: dock-in}
              cold-room-a: {type: cold-room, class: chiled}
            devices:
              - id: r1
                profile: impinj-r700
                broker: edge
                topic: readers/1
                read_points: {1: dock-in-1, 2: dock-in-2, "*": parking}
              - {id: t1, profile: xy-md02, modbus: {host: 127.0.0.1}, zone: cold-room-b}
            cold_chain:
              classes: {chilled: {min: 2, max: 8}}
            alerts:
              mqtt: {broker: sight, topic: sortgate/alerts}
            """
        )
        #expect(
            problems == [
                "site.yaml:6:41: zones.cold-room-a.class: no class 'chiled' in cold_chain.classes; did you mean "
                    + "'chilled'?",
                "site.yaml:10:13: devices[0].broker: no broker 'edge' in brokers (declared: site)",
                "site.yaml:12:36: devices[0].read_points.2: no zone 'dock-in-2' in zones; did you mean 'dock-in-1'?",
                "site.yaml:12:52: devices[0].read_points.*: no zone 'parking' in zones (declared: dock-in-1, "
                    + "cold-room-a)",
                "site.yaml:13:65: devices[1].zone: no zone 'cold-room-b' in zones; did you mean 'cold-room-a'?",
                "site.yaml:17:18: alerts.mqtt.broker: no broker 'sight' in brokers (declared: site)",
            ]
        )
    }

    @Test("a broker referenced when none is declared")
    func noBrokers() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                devices:
                  - {id: r1, profile: impinj-r700, broker: site, topic: a, read_points: {1: dock-in-1}}
                """
        )
        #expect(
            problems == ["site.yaml:6:44: devices[0].broker: no broker 'site': brokers declares none; add it there"]
        )
    }

    @Test("a non-loopback HTTP bind without token_file")
    func httpBind() throws {
        let problems = try ConfigFixtures.problems(ConfigFixtures.minimal + "http: {bind: 0.0.0.0, port: 8080}")
        #expect(
            problems == [
                "site.yaml:6:14: http.bind: binding 0.0.0.0 opens the API beyond this machine, which requires a token; "
                    + "add token_file, or bind 127.0.0.1"
            ]
        )
    }

    @Test("invalid MQTT topic filters and alert topics")
    func topics() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1}}
                devices:
                  - {id: r1, profile: impinj-r700, broker: site, topic: "readers/#/events", read_points: {1: dock-in-1}}
                  - {id: r2, profile: impinj-r700, broker: site, topic: "r/dock+/e", read_points: {1: dock-in-1}}
                  - {id: r3, profile: impinj-r700, broker: site, topic: "", read_points: {1: dock-in-1}}
                  - {id: r4, profile: impinj-r700, broker: site, topic: "readers/+/#", read_points: {1: dock-in-1}}
                alerts:
                  mqtt: {broker: site, topic: sortgate/+/alerts}
                """
        )
        #expect(
            problems == [
                "site.yaml:7:57: devices[0].topic: '#' must be a whole level and the last one, as in readers/#, "
                    + "got \"readers/#/events\"",
                "site.yaml:8:57: devices[1].topic: '+' must be a whole level, as in readers/+/events, "
                    + "got \"r/dock+/e\"",
                "site.yaml:9:57: devices[2].topic: expected an MQTT topic filter, got \"\"",
                "site.yaml:12:31: alerts.mqtt.topic: a topic to publish to cannot contain the wildcards + or #",
            ]
        )
    }

    @Test("a device whose keys do not match its profile's protocol")
    func protocolMismatch() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1}}
                devices:
                  - id: t1
                    profile: xy-md02
                    broker: site
                    topic: sensors/t1
                  - id: r1
                    profile: impinj-r700
                    broker: site
                    topic: readers/1
                    read_points: {1: dock-in-1}
                    zone: dock-in-1
                """
        )
        let profile = ConfigFixtures.root + "/valid/Devices/xy-md02.yaml"
        #expect(
            problems == [
                "site.yaml:9:5: devices[0]: profile 'xy-md02' (\(profile)) is a modbus profile, but this device has "
                    + "MQTT settings (broker, topic); give it modbus, poll and zone, or use an mqtt profile",
                "site.yaml:16:5: devices[1].zone: only modbus devices take 'zone'; profile 'impinj-r700' is an mqtt "
                    + "profile",
            ]
        )
    }

    @Test("Modbus connection problems")
    func modbusProblems() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                devices:
                  - {id: t1, profile: xy-md02, modbus: {host: 10.0.0.5, serial: /dev/ttyUSB0}, zone: dock-in-1}
                  - {id: t2, profile: xy-md02, modbus: {serial: /dev/ttyUSB0, baud: 9600, parity: X}, zone: dock-in-1}
                  - {id: t3, profile: xy-md02, modbus: {host: h, baud: 9600}, poll: 1s, timeout: 2s, zone: dock-in-1}
                  - {id: t4, profile: xy-md02, modbus: {port: 502}, zone: dock-in-1}
                """
        )
        #expect(
            problems == [
                "site.yaml:6:57: devices[0].modbus: give host (Modbus TCP) or serial (Modbus RTU), not both",
                "site.yaml:7:40: devices[1].modbus: missing key 'unit' (the unit id of the device on the serial line, "
                    + "1 to 247)",
                "site.yaml:7:83: devices[1].modbus.parity: expected N, E or O (none, even, odd), got \"X\"",
                "site.yaml:8:50: devices[2].modbus.baud: only serial connections take 'baud'",
                "site.yaml:8:82: devices[2].timeout: the timeout (2s) must not be longer than the poll interval (1s)",
                "site.yaml:9:40: devices[3].modbus: missing key 'host' (Modbus TCP; or serial, for Modbus RTU)",
            ]
        )
    }

    @Test("cold-chain class problems; a password inline; TLS without a key")
    func classesPasswordsTLS() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal + """
                brokers:
                  site:
                    host: 127.0.0.1
                    password: hunter2
                    tls: {ca: ca.pem, cert: gw.pem}
                cold_chain:
                  classes:
                    odd: {alarm_delay: 5m}
                    upside-down: {min: 8, max: 2}
                """
        )
        #expect(
            problems == [
                "site.yaml:9:5: brokers.site.password: a password is never written in the config; put it in a file "
                    + "only sortgate can read and name that file with password_file",
                "site.yaml:10:10: brokers.site.tls: cert and key go together; add key",
                "site.yaml:10:15: brokers.site.tls.ca: cannot read 'ca.pem': No such file or directory",
                "site.yaml:10:29: brokers.site.tls.cert: cannot read 'gw.pem': No such file or directory",
                "site.yaml:13:10: cold_chain.classes.odd: give min, max or both, in °C",
                "site.yaml:14:32: cold_chain.classes.upside-down.max: max (2.0) must be above min (8.0)",
            ]
        )
    }

    @Test("read point problems")
    func readPointProblems() throws {
        let problems = try ConfigFixtures.problems(
            ConfigFixtures.minimal.replacingOccurrences(of: "devices: []\n", with: "")
                + """
                brokers: {site: {host: 127.0.0.1}}
                devices:
                  - id: r1
                    profile: impinj-r700
                    broker: site
                    topic: readers/1
                    read_points:
                      1: dock-in-1
                      01: dock-in-1
                      left: dock-in-1
                      70000: dock-in-1
                  - {id: r2, profile: impinj-r700, broker: site, topic: readers/2, read_points: {}}
                """
        )
        #expect(
            problems == [
                "site.yaml:13:7: devices[0].read_points.01: antenna 1 is already mapped at line 12; map each antenna "
                    + "once",
                "site.yaml:14:7: devices[0].read_points.left: expected an antenna port from 0 to 65535, or \"*\" "
                    + "(quoted) "
                    + "for every antenna not listed, got \"left\"",
                "site.yaml:15:7: devices[0].read_points.70000: expected an antenna port from 0 to 65535, or \"*\" "
                    + "(quoted) "
                    + "for every antenna not listed, got \"70000\"",
                "site.yaml:16:81: devices[1].read_points: map at least one antenna to a zone, or \"*\" for every "
                    + "antenna",
            ]
        )
    }

    @Test("a config with several problems reports all of them, in file order, then its profiles'")
    func severalProblems() throws {
        let folder = ConfigFixtures.root + "/errors"
        let shipped = ConfigFixtures.root + "/valid/Devices"
        do throws(ConfigError) {
            _ = try SiteConfig.load(path: folder + "/site.yaml", shippedProfileFolders: [shipped])
            Issue.record("the errors fixture loaded")
        } catch {
            let site = folder + "/site.yaml"
            let lines = error.description.split(separator: "\n").map(String.init)
            #expect(
                lines == [
                    "\(site):5:14: max_payload: expected a size such as 65536, 64KiB or 1MiB, got \"64KB\"",
                    "\(site):9:5: brokers.site.password: a password is never written in the config; put it in a file "
                        + "only sortgate can read and name that file with password_file",
                    "\(site):12:41: zones.cold-room-a.class: no class 'chiled' in cold_chain.classes; did you mean "
                        + "'chilled'?",
                    "\(site):13:3: duplicate key 'dock-in-1' in zones (first at line 11); keep one of them",
                    "\(site):17:13: devices[0].broker: no broker 'edge' in brokers (declared: site)",
                    "\(site):18:12: devices[0].topic: '#' must be a whole level and the last one, as in readers/#, "
                        + "got \"readers/#/events\"",
                    "\(site):19:10: devices[0].qos: expected 0, 1 or 2, got \"high\"",
                    "\(site):22:10: devices[0].read_points.2: no zone 'dock-in-9' in zones; did you mean 'dock-in-1'?",
                    "\(site):23:9: devices[1].id: duplicate device id 'r1' (first at line 15); give each device its "
                        + "own id",
                    "\(site):24:14: devices[1].profile: no profile 'impinj-r900' in Devices, ../Devices, \(shipped) "
                        + "(looked for impinj-r900.yaml); did you mean 'impinj-r700'?",
                    "\(site):30:5: devices[2]: profile 'xy-md02' (\(shipped)/xy-md02.yaml) is a modbus profile, but "
                        + "this "
                        + "device has MQTT settings (broker, topic); give it modbus, poll and zone, or use an mqtt "
                        + "profile",
                    "\(site):38:3: unknown key 'absent_afer' in dedup; did you mean 'absent_after'?",
                    "\(site):41:44: cold_chain.classes.chilled.alarm_delay: 10 has no unit; write 10s for seconds "
                        + "(units: ms, s, m, h, d)",
                    "\(site):42:14: http.bind: binding 0.0.0.0 opens the API beyond this machine, which requires a "
                        + "token; "
                        + "add token_file, or bind 127.0.0.1",
                    "\(folder)/Devices/broken-reader.yaml:4:30: payload.epc: invalid JSON pointer \"epc\": "
                        + "a JSON pointer is empty or starts with '/' (write '/epc' for a top-level key)",
                    "\(folder)/Devices/broken-reader.yaml:4:46: payload.rssi_unit: expected dbm or cdbm, got \"dBm\"; "
                        + "did you mean 'dbm'?",
                ]
            )
            #expect(error.diagnostics.count == lines.count)
            #expect(
                error.diagnostics[0]
                    == ConfigDiagnostic(
                        file: site,
                        line: 5,
                        column: 14,
                        message: lines[0].components(separatedBy: ":5:14: ")[1]
                    )
            )
        }
    }
}
