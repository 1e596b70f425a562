import Foundation
import SortgateTestSupport
import Testing

/// `make install-files` into a staging folder (what `make install` runs after its release build),
/// the installed binary on the installed config, and the systemd unit checked by systemd itself.
@Suite("make install and the systemd unit")
struct InstallTests {
    /// A `make install-files DESTDIR=…` of the test build's binary.
    struct StagedInstall {
        let folder: TemporaryFolder
        let output: String
        var root: String { folder.path("root") }
        var binary: String { root + "/usr/local/bin/sortgate" }
        var config: String { root + "/etc/sortgate/sortgate.yaml" }
        var unit: String { root + "/usr/local/lib/systemd/system/sortgate.service" }
        var devices: String { root + "/usr/local/share/sortgate/Devices" }

        init() throws {
            folder = try TemporaryFolder()
            output = try Self.install(into: folder.path("root"))
        }

        static func install(into root: String) throws -> String {
            let result = try CommandRunner.runChecked(
                "/usr/bin/make",
                ["-s", "install-files", "DESTDIR=\(root)", "BINARY=\(RunCommandTests.executable)"],
                in: repositoryRoot,
                timeout: .seconds(60)
            )
            return result.standardOutput
        }
    }

    @Test("installs the binary, every shipped profile, the unit, the docs and the sample config")
    func tree() throws {
        let staged = try StagedInstall()
        let files = FileManager.default
        #expect(files.isExecutableFile(atPath: staged.binary))
        let shipped = try files.contentsOfDirectory(atPath: repositoryRoot.appendingPathComponent("Devices").path)
        #expect(try files.contentsOfDirectory(atPath: staged.devices).sorted() == shipped.sorted())
        #expect(shipped.count >= 9)
        // The resource bundles beside the binary (where Bundle.module looks first), test bundles left out.
        let dashboard = "/usr/local/bin/sortgate_SortgateHTTP.resources/Resources/Dashboard"
        for file in ["index.html", "dashboard.css", "dashboard.js"] {
            let source = repositoryRoot.appendingPathComponent("Sources/SortgateHTTP/Resources/Dashboard/\(file)")
            #expect(files.contents(atPath: staged.root + dashboard + "/" + file) == (try Data(contentsOf: source)))
        }
        #expect(
            try files.contentsOfDirectory(atPath: staged.root + "/usr/local/bin").filter {
                $0.hasSuffix("Tests.resources")
            } == []
        )
        #expect(files.fileExists(atPath: staged.root + "/usr/local/share/sortgate/production.example.yaml"))
        #expect(files.fileExists(atPath: staged.root + "/usr/local/share/doc/sortgate/README.md"))
        var isFolder: ObjCBool = false
        #expect(
            files.fileExists(atPath: staged.root + "/etc/sortgate/devices", isDirectory: &isFolder)
                && isFolder.boolValue
        )
        let sample = try String(
            contentsOf: repositoryRoot.appendingPathComponent("Config/sortgate.yaml"),
            encoding: .utf8
        )
        #expect(try String(contentsOfFile: staged.config, encoding: .utf8) == sample)
        let unit = try String(contentsOfFile: staged.unit, encoding: .utf8)
        #expect(
            unit.contains(
                "\nExecStart=/usr/local/bin/sortgate run --config /etc/sortgate/sortgate.yaml --log-format logfmt\n"
            )
        )
        #expect(unit.contains("\nExecStartPre=/usr/local/bin/sortgate check-config /etc/sortgate/sortgate.yaml\n"))
        // Staged as a normal user would: no system user is created for a DESTDIR install.
        #expect(!staged.output.contains("creating the system user"))
    }

    @Test("the installed binary accepts the installed sample config, its profiles found in the installed tree")
    func installedBinaryChecksInstalledConfig() throws {
        let staged = try StagedInstall()
        let result = try CommandRunner.run(staged.binary, ["check-config", staged.config])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(
            result.standardOutput
                == "\(staged.config): OK — site 'my-sorting-center', 2 zones, 2 devices (1 MQTT, 1 Modbus), 1 brokers\n"
        )
        // Where it looked: the config's own folder, then the profiles installed beside the binary.
        let missing = try String(contentsOfFile: staged.config, encoding: .utf8)
            .replacingOccurrences(of: "profile: impinj-r700", with: "profile: impinj-r999")
        try missing.write(toFile: staged.folder.path("missing.yaml"), atomically: true, encoding: .utf8)
        let failed = try CommandRunner.run(staged.binary, ["check-config", staged.folder.path("missing.yaml")])
        #expect(failed.status == 2)
        #expect(failed.standardError.contains("no profile 'impinj-r999' in devices, \(staged.devices) "))
    }

    @Test("a second install keeps the config an operator edited")
    func keepsExistingConfig() throws {
        let staged = try StagedInstall()
        let edited = "# edited by the operator\n" + (try String(contentsOfFile: staged.config, encoding: .utf8))
        try edited.write(toFile: staged.config, atomically: true, encoding: .utf8)
        let output = try StagedInstall.install(into: staged.root)
        #expect(output.contains("kept the existing \(staged.config)"))
        #expect(try String(contentsOfFile: staged.config, encoding: .utf8) == edited)
    }

    @Test("systemd-analyze verify accepts the unit without a warning, and its exposure stays low")
    func systemdAcceptsUnit() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(
            FileManager.default.isExecutableFile(atPath: analyze),
            "systemd-analyze is missing: Tools/install-deps installs Debian's systemd package"
        )
        let staged = try StagedInstall()
        // verify also checks that ExecStart's binary exists: point it at the staged one.
        let unit = try String(contentsOfFile: staged.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/sortgate", with: staged.binary)
        try FileManager.default.createDirectory(atPath: staged.folder.path("verify"), withIntermediateDirectories: true)
        let copy = staged.folder.path("verify/sortgate.service")
        try unit.write(toFile: copy, atomically: true, encoding: .utf8)
        let verified = try CommandRunner.run(analyze, ["verify", copy])
        #expect(verified.status == 0)
        // An unknown key or a bad value is only a warning: none may be printed.
        #expect(verified.standardError == "", "\(verified.standardError)")
        #expect(verified.standardOutput == "")

        let security = try CommandRunner.run(analyze, ["security", "--offline=yes", "--no-pager", copy])
        #expect(security.status == 0, "\(security.standardError)")
        let line = try #require(
            security.standardOutput.split(separator: "\n").first { $0.contains("Overall exposure level") },
            "\(security.standardOutput)"
        )
        let score = try #require(line.split(separator: ":").last?.split(separator: " ").first.flatMap { Double($0) })
        #expect(score <= 1.5, "\(line)")
    }

    /// Runs its arguments as the unit confines them, without systemd (none runs as PID 1 here):
    /// the unit's system call filter (`SystemCallFilter=@system-service` minus `@privileged
    /// @resources`, others failing with EPERM), its groups expanded by systemd-analyze itself and
    /// loaded with libseccomp; and PR_SET_MDWE (65) with PR_MDWE_REFUSE_EXEC_GAIN (1): no mapping
    /// may become writable and executable, what `MemoryDenyWriteExecute=yes` enforces. Both hold
    /// across exec.
    static let confinedAsTheUnit = """
        import ctypes, errno, os, subprocess, sys, seccomp
        def group(name, seen):
            if name in seen: return set()
            seen.add(name)
            listing = subprocess.run(["systemd-analyze", "syscall-filter", name],
                                     capture_output=True, text=True, check=True).stdout
            names = set()
            for line in listing.splitlines()[1:]:
                item = line.strip()
                if not item or item.startswith("#"): continue
                names |= group(item, seen) if item.startswith("@") else {item}
            return names
        allowed = group("@system-service", set()) - group("@privileged", set()) - group("@resources", set())
        syscalls = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.EPERM))
        for name in allowed:
            try: syscalls.add_rule(seccomp.ALLOW, name)
            except (RuntimeError, ValueError): pass  # not a system call of this architecture
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(65, 1, 0, 0, 0) != 0:
            sys.exit("prctl(PR_SET_MDWE) failed: " + os.strerror(ctypes.get_errno()) + " (Linux 6.3 or newer needed)")
        syscalls.load()
        os.execv(sys.argv[1], sys.argv[1:])
        """

    @Test(
        "the installed binary runs the live gateway with its HTTP API confined as the unit confines it, then stops cleanly"
    )
    func liveGatewayConfinedAsTheUnit() async throws {
        let staged = try StagedInstall()
        let broker = try await MosquittoBroker(extraConfiguration: siteBrokerSettings)
        let folder = try TemporaryFolder()
        let port = freeLoopbackPort()
        try RunHTTPTests.writeConfig(
            brokerPort: broker.port,
            folder: folder,
            http: "{bind: 127.0.0.1, port: \(port)}",
            tokenMode: nil
        )
        // Marks the installed page, to see that the installed binary serves its installed bundle.
        let page = staged.root + "/usr/local/bin/sortgate_SortgateHTTP.resources/Resources/Dashboard/index.html"
        let marked = try String(contentsOfFile: page, encoding: .utf8) + "<!-- installed copy -->\n"
        try marked.write(toFile: page, atomically: true, encoding: .utf8)
        let process = try Process.startLogging(
            URL(fileURLWithPath: "/usr/bin/python3"),
            [
                "-c", Self.confinedAsTheUnit, staged.binary, "run", "--config", folder.path("site.yaml"),
                "--log-format", "json",
            ],
            output: folder.url.appendingPathComponent("stdout.log"),
            error: folder.url.appendingPathComponent("stderr.log")
        )
        defer { if process.isRunning { process.interrupt() } }
        let client = HTTPTestClient(port: port, token: nil)
        try await client.waitUntilListening()
        let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path
        let published = try await publishCapture(capture, port: broker.port, range: 0..<300)
        #expect(published == 300)
        #expect(try await client.get("/health").status == 200)
        let served = try await client.get("/")
        #expect(served.status == 200 && served.text == marked)
        let metrics = try await client.get("/metrics")
        #expect(metrics.status == 200 && metrics.text.contains("sortgate_source_messages_total"))
        #expect(process.terminateAndWait() == 0)
        let log = try String(contentsOfFile: folder.path("stderr.log"), encoding: .utf8)
        #expect(log.split(separator: "\n").allSatisfy { parseJSONObject(String($0)) != nil }, "\(log)")
    }

    @Test("the installed binary runs a replay confined as the unit confines it; the confinement refuses what it must")
    func replayConfinedAsTheUnit() throws {
        let staged = try StagedInstall()
        let folder = try TemporaryFolder()
        try RunCommandTests.writeSiteConfig(port: 1, folder: folder)
        let capture = repositoryRoot.appendingPathComponent("Tools/captures/demo.jsonl").path
        let result = try CommandRunner.run(
            "/usr/bin/python3",
            ["-c", Self.confinedAsTheUnit, staged.binary, "replay", capture, "--config", folder.path("site.yaml")],
            timeout: .seconds(120)
        )
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.hasPrefix("replayed 1 capture(s): 6741 messages, 8113 tag reads"))
        // The same mapping a JIT would make is refused under the same setting.
        let refused = try CommandRunner.run(
            "/usr/bin/python3",
            [
                "-c",
                """
                import ctypes, mmap
                libc = ctypes.CDLL(None, use_errno=True)
                assert libc.prctl(65, 1, 0, 0, 0) == 0
                mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
                """,
            ]
        )
        #expect(refused.status != 0)
        #expect(
            refused.standardError.contains("PermissionError") || refused.standardError.contains("Permission denied")
        )
        // A privileged system call outside the filter fails with EPERM.
        let chroot = try CommandRunner.run(
            "/usr/bin/python3",
            ["-c", Self.confinedAsTheUnit, "/usr/sbin/chroot", "/", "/bin/true"]
        )
        #expect(chroot.status != 0)
        #expect(chroot.standardError.contains("Operation not permitted"), "\(chroot.standardError)")
    }
}
