public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL server for one test: `initdb` in a temporary folder, `pg_ctl` on a free
/// loopback port, stopped and removed by `remove()` (or `deinit`).
///
/// ```swift
/// let postgres = try PostgresServer()          // 127.0.0.1:postgres.port, user sortgate
/// defer { postgres.remove() }
/// postgres.stop(); try postgres.start()        // same port, same data: an outage
/// ```
///
/// PostgreSQL refuses to run as root, and CI runs as root: then every server command runs through
/// `runuser -u postgres --` (the user Debian's `postgresql` package creates) in a folder owned by
/// that user. TCP connections need the password (`scram-sha-256`), which is in `passwordFile`;
/// the Unix socket in the folder (for `psql`) trusts the local user. With `tls`, the server offers
/// TLS with the given certificate and key. `fsync` is off: these servers hold test data only.
///
/// `@unchecked Sendable`: the only mutable state, `running`, is guarded by `lock`.
public final class PostgresServer: @unchecked Sendable {
    public let host = "127.0.0.1"
    public let port: Int
    public let user = "sortgate"
    public let password = "sortgate-test-password"
    /// Holds `password`, readable by the gateway under test.
    public let passwordFile: String
    public let directory: URL
    private let binaries: URL
    private let lock = NSLock()
    private var running = false
    private var removed = false

    /// `postgres://sortgate@127.0.0.1:PORT/DATABASE`.
    public func url(database: String = "postgres") -> String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// Runs `initdb` and starts the server; returns once it accepts connections.
    public init(tls: TestCertificates? = nil) throws {
        binaries = try Self.findBinaries()
        port = freeLoopbackPort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sortgate-postgres-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        passwordFile = directory.appendingPathComponent("password").path
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: passwordFile))
        var options = ["-c fsync=off", "-c listen_addresses=127.0.0.1"]
        if let tls {
            for (file, name) in [(tls.serverCertFile, "server.crt"), (tls.serverKeyFile, "server.key")] {
                try FileManager.default.copyItem(atPath: file, toPath: directory.appendingPathComponent(name).path)
            }
            chmod(directory.appendingPathComponent("server.key").path, 0o600)
            options += [
                "-c ssl=on", "-c ssl_cert_file=\(directory.path)/server.crt",
                "-c ssl_key_file=\(directory.path)/server.key",
            ]
        }
        serverOptions = options.joined(separator: " ")
        try handOver()
        try runAsServerUser(
            "initdb",
            [
                "-D", dataDirectory, "-U", user, "--pwfile=\(passwordFile)", "--auth-local=trust",
                "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C",
            ]
        )
        try start()
    }

    private let serverOptions: String
    private var dataDirectory: String { directory.appendingPathComponent("data").path }

    deinit { remove() }

    /// Starts the server (again) on the same port with the same data.
    ///
    /// `pg_ctl start` leaves the server running in the background with the descriptors it inherited;
    /// Foundation's `Process` learns that a child ended from a socket the child inherits, so it would
    /// wait for the server to end. `pg_ctl` is therefore spawned directly and reaped with `waitpid`.
    public func start() throws {
        let output = directory.appendingPathComponent("pg_ctl.out").path
        var arguments = [
            binaries.appendingPathComponent("pg_ctl").path, "-D", dataDirectory, "-l",
            directory.appendingPathComponent("server.log").path, "-w", "-t", "60",
            "-o", "-p \(port) -k \(directory.path) \(serverOptions)", "start",
        ]
        if Self.isRoot { arguments = ["/usr/sbin/runuser", "-u", Self.serverUser, "--"] + arguments }
        let status = try Self.spawnAndWait(arguments, output: output)
        guard status == 0 else {
            let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            throw TestSupportError("pg_ctl start exited \(status): \(printed)\n\(log)")
        }
        lock.withLock { running = true }
    }

    /// Runs `arguments[0]` with `arguments`, stdin from /dev/null, stdout and stderr into `output`,
    /// the default signal mask; returns its exit status.
    private static func spawnAndWait(_ arguments: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, &argv, environ)
        guard spawned == 0 else {
            throw TestSupportError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // WIFEXITED / WEXITSTATUS are macros Swift does not import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// Stops the server at once (`-m fast`: open transactions are rolled back, clients cut off).
    public func stop() {
        guard lock.withLock({ running }) else { return }
        _ = try? runAsServerUser("pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "stop"])
        lock.withLock { running = false }
    }

    /// Stops the server and deletes its folder.
    public func remove() {
        stop()
        let first = lock.withLock {
            defer { removed = true }
            return !removed
        }
        if first { try? FileManager.default.removeItem(at: directory) }
    }

    /// Runs SQL through `psql` on the Unix socket; returns its unaligned, tab-separated output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try runAsServerUser(
            "psql",
            ["-h", directory.path, "-p", "\(port)", "-U", user, "-d", database, "-X", "-A", "-t", "-F", "\t",
             "-v", "ON_ERROR_STOP=1", "-c", sql]
        ).standardOutput
    }

    /// The server's log so far (for messages in failed tests).
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
    }

    // MARK: - Running as the server's user

    private static var isRoot: Bool { geteuid() == 0 }
    private static let serverUser = "postgres"

    /// Gives the folder to the `postgres` user when running as root.
    private func handOver() throws {
        guard Self.isRoot else { return }
        guard let account = getpwnam(Self.serverUser) else {
            throw TestSupportError(
                "running as root, PostgreSQL needs an unprivileged user; no user '\(Self.serverUser)' exists "
                    + "(Tools/install-deps installs Debian's postgresql, which creates it)"
            )
        }
        let uid = account.pointee.pw_uid
        let gid = account.pointee.pw_gid
        let files = ["server.crt", "server.key"].map { directory.appendingPathComponent($0).path }
        for path in [directory.path, passwordFile] + files where FileManager.default.fileExists(atPath: path) {
            guard chown(path, uid, gid) == 0 else {
                throw TestSupportError("cannot give \(path) to \(Self.serverUser): \(String(cString: strerror(errno)))")
            }
        }
    }

    @discardableResult
    private func runAsServerUser(_ tool: String, _ arguments: [String]) throws -> CommandResult {
        let executable = binaries.appendingPathComponent(tool).path
        if Self.isRoot {
            return try CommandRunner.runChecked(
                "/usr/sbin/runuser",
                ["-u", Self.serverUser, "--", executable] + arguments,
                in: directory,
                timeout: .seconds(90)
            )
        }
        return try CommandRunner.runChecked(executable, arguments, in: directory, timeout: .seconds(90))
    }

    /// Debian keeps the server programs in /usr/lib/postgresql/VERSION/bin, off the PATH.
    private static func findBinaries() throws -> URL {
        let root = URL(fileURLWithPath: "/usr/lib/postgresql")
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for version in versions {
            let bin = root.appendingPathComponent("\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path) { return bin }
        }
        throw TestSupportError(
            "PostgreSQL's server programs are not installed (no /usr/lib/postgresql/*/bin/pg_ctl); "
                + "run Tools/install-deps"
        )
    }
}
