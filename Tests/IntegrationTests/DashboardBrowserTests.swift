import Foundation
import SortgateStore
import SortgateTestSupport
import Testing

/// The dashboard in a real browser (Debian's headless Chromium) against `sortgate run` with
/// `http:`, a real mosquitto carrying the demo's readers and a Modbus simulator with cold room C
/// too warm from the start: what the page renders is what the database holds.
///
/// Screenshots are kept (overwritten on each run) in `$TMPDIR/sortgate-dashboard/`, so a person
/// can look at what the test saw.
@Suite("Dashboard in a real browser", .serialized)
struct DashboardBrowserTests {
    /// The demo's three cold-room transmitters, steady: A at 4 °C, the freezer at −20 °C, and C at
    /// 11 °C, above the chilled class's 8 °C from the first poll.
    static let coldRooms = """
        units:
          - unit: 1
            name: coldroom-a
            registers:
              - {table: input, address: 1, type: int16, scale: 0.1, value: 4.0}
              - {table: input, address: 2, type: uint16, scale: 0.1, value: 62.5}
          - unit: 2
            name: freezer-b
            registers:
              - {table: input, address: 1, type: int16, scale: 0.1, value: -20.0}
              - {table: input, address: 2, type: uint16, scale: 0.1, value: 45.0}
          - unit: 3
            name: coldroom-c
            registers:
              - {table: input, address: 1, type: int16, scale: 0.1, value: 11.0}
              - {table: input, address: 2, type: uint16, scale: 0.1, value: 70.0}
        """

    static let screenshots = FileManager.default.temporaryDirectory.appendingPathComponent("sortgate-dashboard")

    /// `sortgate run` on the demo site: its broker, its database in `folder`, its Modbus sensors on
    /// the simulator (polled every 500 ms, the chilled alarm confirmed after 1 s), and `http`; and
    /// a demo shift generated to start now, as `make demo` does (the sensors' readings carry the
    /// wall-clock time, and a shift of another day would make every tag depart at the first poll).
    /// Nothing departs during a test: `absent_after` is 10 minutes.
    struct Gateway {
        let folder: TemporaryFolder
        let broker: MosquittoBroker
        let simulator: ModbusSimulatorProcess
        let process: Process
        let port: Int
        var database: String { folder.path("live.sqlite") }
        var shift: String { folder.path("shift.jsonl") }

        init(token: String? = nil) async throws {
            let folder = try TemporaryFolder()
            self.folder = folder
            let database = folder.path("live.sqlite")
            broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
            simulator = try await ModbusSimulatorProcess(script: DashboardBrowserTests.coldRooms)
            port = freeLoopbackPort()
            let demo = try String(
                contentsOf: repositoryRoot.appendingPathComponent("Config/demo.yaml"),
                encoding: .utf8
            )
            var site =
                demo
                .replacingOccurrences(of: "port: 18830", with: "port: \(broker.port)")
                .replacingOccurrences(of: "sqlite: ../demo-data/sortgate.sqlite", with: "sqlite: \(database)")
                .replacingOccurrences(
                    of: "profiles_path: [../Devices]",
                    with: "profiles_path: [\(repositoryRoot.appendingPathComponent("Devices").path)]"
                )
                .replacingOccurrences(of: "port: 15020", with: "port: \(simulator.port)")
                .replacingOccurrences(of: "poll: 5s", with: "poll: 500ms")
                .replacingOccurrences(of: "alarm_delay: 30s", with: "alarm_delay: 1s")
                .replacingOccurrences(of: "dedup: {absent_after: 30s}", with: "dedup: {absent_after: 10m}")
                .split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("http:") }
                .joined(separator: "\n")
            #expect(site.contains("port: \(simulator.port)") && site.contains("alarm_delay: 1s"))
            #expect(site.contains("absent_after: 10m"))
            let generator = URL(fileURLWithPath: RunCommandTests.executable).deletingLastPathComponent()
                .appendingPathComponent("sortgate-capture-gen").path
            try CommandRunner.runChecked(
                generator,
                [
                    "--start", "now", "--out", folder.path("shift.jsonl"), "--expected",
                    folder.path("shift.expected.json"),
                ]
            )
            if let token {
                try (token + "\n").write(toFile: folder.path("token"), atomically: true, encoding: .utf8)
                try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: folder.path("token"))
                site += "\nhttp: {bind: 127.0.0.1, port: \(port), token_file: \(folder.path("token"))}\n"
            } else {
                site += "\nhttp: {bind: 127.0.0.1, port: \(port)}\n"
            }
            try site.write(toFile: folder.path("site.yaml"), atomically: true, encoding: .utf8)
            process = try Process.startLogging(
                URL(fileURLWithPath: RunCommandTests.executable),
                ["run", "--config", folder.path("site.yaml")],
                output: folder.url.appendingPathComponent("stdout.log"),
                error: folder.url.appendingPathComponent("stderr.log")
            )
            try await HTTPTestClient(port: port, token: token).waitUntilListening()
        }

        var log: String { (try? String(contentsOfFile: folder.path("stderr.log"), encoding: .utf8)) ?? "" }

        func stop() {
            #expect(process.terminateAndWait() == 0, "\(log)")
        }

        /// Present EPCs per zone in the database, every zone of the site listed (0 when empty).
        func presentCounts() throws -> [String: Int] {
            var counts = Dictionary(uniqueKeysWithValues: Self.zones.map { ($0, 0) })
            for row in try SQLiteStore.openReadOnly(path: database).inventory() where row.status == "present" {
                counts[row.zone, default: 0] += 1
            }
            return counts
        }

        static let zones = [
            "dock-in-1", "induction-1", "chute-01", "chute-02", "chute-03", "chute-04", "dock-out-1", "cold-room-a",
            "freezer-b", "cold-room-c",
        ]
    }

    /// The zone counts the page shows, from its DOM (`data-present` of each zone tile).
    static let shownCounts = """
        JSON.stringify(Object.fromEntries([...document.querySelectorAll('#zones .zone')]
            .map((z) => [z.dataset.zone, Number(z.dataset.present)])))
        """

    static func counts(in browser: HeadlessChromium) throws -> [String: Int] {
        guard let text = try browser.evaluate(shownCounts) as? String,
            let counts = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Int]
        else { return [:] }
        return counts
    }

    /// `data-zone` → `data-present` of the zone tiles in dumped HTML (attributes in the order the
    /// page's script sets them).
    static func zoneTiles(in html: String) -> [String: Int] {
        let pattern = try! NSRegularExpression(
            pattern: #"<li class="zone" data-zone="([^"]+)" data-present="(\d+)""#
        )
        var tiles: [String: Int] = [:]
        for match in pattern.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let zone = String(html[Range(match.range(at: 1), in: html)!])
            tiles[zone] = Int(html[Range(match.range(at: 2), in: html)!])
        }
        return tiles
    }

    @Test("shows every zone's count as the database holds it, cold room C's active alert, live facts; Ack acknowledges")
    func dashboardShowsTheSite() async throws {
        let gateway = try await Gateway()
        defer { gateway.stop() }
        let browser = try HeadlessChromium(log: gateway.folder.url.appendingPathComponent("chromium.log"))
        try browser.open("http://127.0.0.1:\(gateway.port)/", width: 1600, height: 1000)
        #expect(
            try browser.wait(until: "document.querySelectorAll('#zones .zone').length === 10", timeout: .seconds(20))
        )

        // Cold room C is too warm from its first poll; its alert is confirmed after 1 s and shown.
        #expect(
            try browser.wait(
                until:
                    #"document.querySelector('#alerts .alert[data-zone="cold-room-c"][data-kind="excursion-high"]')"#,
                timeout: .seconds(30)
            ),
            "\(gateway.log)"
        )
        // Facts reach the page through the live stream while the readers publish.
        let published = try await publishCapture(gateway.shift, port: gateway.broker.port, range: 0..<1500)
        #expect(published == 1500)
        #expect(
            try browser.wait(until: "document.querySelectorAll('#facts .fact').length >= 10", timeout: .seconds(20))
        )

        // Once the gateway has committed everything, the page converges on the database's counts.
        var database: [String: Int] = [:]
        var previous: [String: Int] = [:]
        for _ in 0..<60 {
            database = try gateway.presentCounts()
            if database == previous, database.values.reduce(0, +) > 0 { break }
            previous = database
            try await Task.sleep(for: .seconds(1))
        }
        let deadline = ContinuousClock.now + .seconds(25)
        while try Self.counts(in: browser) != database, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let html = try browser.html()
        #expect(Self.zoneTiles(in: html) == database)
        #expect(database.count == 10 && database.values.reduce(0, +) > 50, "\(database)")
        #expect(html.contains(#"<li class="coldroom" data-zone="cold-room-c" data-alarm="true">"#))
        #expect(html.contains(#"<li class="coldroom" data-zone="cold-room-a" data-alarm="false">"#))
        #expect(html.contains(#"<span class="celsius" data-celsius="11">11.0 °C</span>"#))
        #expect(html.contains(#"<span class="what">cold-room-c: too warm</span>"#))
        let activeInDatabase = try SQLiteStore.openReadOnly(path: gateway.database).alerts(activeOnly: true)
        #expect(!activeInDatabase.isEmpty && activeInDatabase.allSatisfy { $0.zone == "cold-room-c" })
        let shownAlerts = try browser.evaluate("document.querySelectorAll('#alerts .alert').length") as? Int
        #expect(shownAlerts == activeInDatabase.count)
        #expect(try browser.evaluate("document.getElementById('connection').dataset.state") as? String == "live")

        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("wall.png"))
        try html.write(to: Self.screenshots.appendingPathComponent("wall.html"), atomically: true, encoding: .utf8)

        // Ack every alert of cold room C from the page: the database records it; the page shows them
        // acknowledged, and the room stays red while it is too warm.
        _ = try browser.evaluate("document.querySelectorAll('#alerts .alert button.ack').forEach((b) => b.click())")
        #expect(
            try browser.wait(
                until: """
                    document.querySelectorAll('#alerts .alert[data-acknowledged="true"]').length === \(activeInDatabase.count)
                        && !document.querySelector('#alerts button.ack')
                    """,
                timeout: .seconds(15)
            )
        )
        #expect(
            try browser.evaluate(#"document.querySelector('.coldroom[data-zone="cold-room-c"]').dataset.alarm"#)
                as? String == "true"
        )
        let uncleared = try SQLiteStore.openReadOnly(path: gateway.database).alerts().filter { $0.clearedAt == nil }
        #expect(Set(uncleared.map(\.id)) == Set(activeInDatabase.map(\.id)))
        #expect(uncleared.allSatisfy { $0.status == "acknowledged" && $0.acknowledgedAt != nil })
        let ackLines = gateway.log.split(separator: "\n").filter { $0.contains("alert acknowledged over HTTP") }
        #expect(ackLines.count == activeInDatabase.count)
        #expect(ackLines.allSatisfy { $0.contains("client=127.0.0.1:") }, "\(ackLines)")

        // The same page on a phone: one column, nothing cut off sideways.
        try browser.open("http://127.0.0.1:\(gateway.port)/", width: 390, height: 844, mobile: true)
        #expect(
            try browser.wait(until: "document.querySelectorAll('#zones .zone').length === 10", timeout: .seconds(20))
        )
        let overflow = try browser.evaluate("document.documentElement.scrollWidth - window.innerWidth") as? Int
        #expect(overflow == 0)
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("phone.png"))
    }

    @Test("with a token the page asks for it once, keeps it, and then shows the site and the live stream")
    func asksForTheToken() async throws {
        let token = "dashboard-test-token-0123456789"
        let gateway = try await Gateway(token: token)
        defer { gateway.stop() }
        let browser = try HeadlessChromium(log: gateway.folder.url.appendingPathComponent("chromium.log"))
        try browser.open("http://127.0.0.1:\(gateway.port)/", width: 1280, height: 800)
        #expect(try browser.wait(until: "document.getElementById('token-dialog').open", timeout: .seconds(20)))
        let asked = try browser.html()
        #expect(asked.contains(#"<dialog id="token-dialog" class="token-dialog" open="">"#))
        #expect(asked.contains(#"<form id="token-form" method="dialog">"#))
        #expect(!asked.contains(#"<li class="zone""#))
        try FileManager.default.createDirectory(at: Self.screenshots, withIntermediateDirectories: true)
        try browser.screenshot(to: Self.screenshots.appendingPathComponent("token.png"))

        _ = try browser.evaluate(
            """
            document.getElementById('token-input').value = '\(token)';
            document.getElementById('token-form').requestSubmit();
            """
        )
        #expect(
            try browser.wait(until: "document.querySelectorAll('#zones .zone').length === 10", timeout: .seconds(20))
        )
        #expect(try browser.evaluate("document.getElementById('token-dialog').open") as? Bool == false)
        #expect(try browser.evaluate("localStorage.getItem('sortgate.token')") as? String == token)
        // The stream takes the token as ?token= (EventSource cannot send headers).
        #expect(
            try browser.wait(
                until: "document.getElementById('connection').dataset.state === 'live'",
                timeout: .seconds(20)
            )
        )
        _ = try await publishCapture(gateway.shift, port: gateway.broker.port, range: 0..<300)
        #expect(try browser.wait(until: "document.querySelectorAll('#facts .fact').length > 0", timeout: .seconds(20)))

        // A reload finds the token in localStorage and asks nothing.
        try browser.open("http://127.0.0.1:\(gateway.port)/", width: 1280, height: 800)
        #expect(
            try browser.wait(until: "document.querySelectorAll('#zones .zone').length === 10", timeout: .seconds(20))
        )
        #expect(try browser.evaluate("document.getElementById('token-dialog').open") as? Bool == false)
    }
}
