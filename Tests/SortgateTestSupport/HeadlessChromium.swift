public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real browser for tests: Debian's headless Chromium, driven over the DevTools protocol on a
/// pipe (`--remote-debugging-pipe`: requests on its fd 3, answers and events on its fd 4, each a
/// JSON text ended by a NUL byte).
///
/// Why not `--dump-dom --virtual-time-budget`: a page holding an open `EventSource` keeps a
/// network fetch pending forever, and virtual time never advances past a pending fetch, so
/// Chromium would never dump. Over the protocol the test waits for what it wants to see, in real
/// time, with the stream open, then reads the DOM and takes a screenshot.
///
/// Chromium runs as root here (CI), so it needs `--no-sandbox`; everything that would reach out
/// (component updates, metrics, sync, safe browsing) is switched off, so the only traffic is to
/// the pages the test opens.
public final class HeadlessChromium {
    public static let executable = "/usr/bin/chromium"

    private let process: pid_t
    private let requests: Int32
    private let answers: Int32
    private var pending: [UInt8] = []
    private var nextID = 0
    private var session: String?
    private let profile: URL

    /// Starts Chromium with a fresh profile; its own log goes to `log`.
    public init(log: URL) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable) else {
            throw TestSupportError(
                "\(Self.executable) is missing: Tools/install-deps installs Debian's chromium package"
            )
        }
        profile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sortgate-chromium-\(UUID().uuidString)"
        )
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let arguments = [
            Self.executable, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-domain-reliability", "--no-pings", "--metrics-recording-only",
            "--safebrowsing-disable-auto-update", "--hide-scrollbars", "--font-render-hinting=none", "about:blank",
        ]
        var toBrowser: [Int32] = [0, 0]
        var fromBrowser: [Int32] = [0, 0]
        guard pipe(&toBrowser) == 0, pipe(&fromBrowser) == 0 else {
            throw TestSupportError("pipe() failed: \(String(cString: strerror(errno)))")
        }
        let logFD = Glibc.open(log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        posix_spawn_file_actions_adddup2(&actions, toBrowser[0], 3)
        posix_spawn_file_actions_adddup2(&actions, fromBrowser[1], 4)
        // The child starts with no blocked signals (see `runWithDefaultSignalMask`).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        var cArguments = arguments.map { strdup($0) }
        cArguments.append(nil)
        var cEnvironment = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") }
        cEnvironment.append(nil)
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, Self.executable, &actions, &attributes, cArguments, cEnvironment)
        close(toBrowser[0])
        close(fromBrowser[1])
        close(logFD)
        guard status == 0 else {
            close(toBrowser[1])
            close(fromBrowser[0])
            throw TestSupportError("cannot start \(Self.executable): \(String(cString: strerror(status)))")
        }
        process = pid
        requests = toBrowser[1]
        answers = fromBrowser[0]
    }

    deinit {
        close(requests)
        close(answers)
        kill(process, SIGKILL)
        var status: Int32 = 0
        waitpid(process, &status, 0)
        try? FileManager.default.removeItem(at: profile)
    }

    /// Opens `url` in a new tab of `width` × `height` CSS pixels (`mobile` emulates a phone's
    /// viewport), and makes it the tab the other calls act on.
    public func open(_ url: String, width: Int, height: Int, mobile: Bool = false) throws {
        let target = try send("Target.createTarget", ["url": "about:blank"], inSession: false)
        guard let targetID = target["targetId"] as? String else { throw TestSupportError("no target id: \(target)") }
        let attached = try send(
            "Target.attachToTarget",
            ["targetId": targetID, "flatten": true],
            inSession: false
        )
        session = attached["sessionId"] as? String
        _ = try send(
            "Emulation.setDeviceMetricsOverride",
            ["width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile]
        )
        _ = try send("Page.navigate", ["url": url])
    }

    /// The value of a JavaScript expression in the page (a promise is awaited), as JSON gives it.
    public func evaluate(_ expression: String) throws -> Any? {
        let result = try send(
            "Runtime.evaluate",
            ["expression": expression, "returnByValue": true, "awaitPromise": true]
        )
        if let exception = result["exceptionDetails"] {
            throw TestSupportError("\(expression) threw: \(exception)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Waits until the JavaScript `condition` is true in the page; false if it is not by `timeout`.
    public func wait(until condition: String, timeout: Duration) throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        repeat {
            if (try? evaluate("Boolean(\(condition))")) as? Bool == true { return true }
            Thread.sleep(forTimeInterval: 0.1)
        } while ContinuousClock.now < deadline
        return false
    }

    /// The page's DOM as HTML, as `--dump-dom` prints it.
    public func html() throws -> String {
        guard let html = try evaluate("document.documentElement.outerHTML") as? String else {
            throw TestSupportError("the page has no document")
        }
        return "<!DOCTYPE html>\n" + html
    }

    /// Saves a PNG of the whole page (beyond the viewport when it is longer).
    public func screenshot(to file: URL) throws {
        let shot = try send("Page.captureScreenshot", ["format": "png", "captureBeyondViewport": true])
        guard let base64 = shot["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw TestSupportError("no screenshot data")
        }
        try png.write(to: file)
    }

    // MARK: - The protocol

    /// Sends one command and returns its result, skipping the events that arrive before it.
    private func send(_ method: String, _ parameters: [String: Any], inSession: Bool = true) throws -> [String: Any] {
        nextID += 1
        var message: [String: Any] = ["id": nextID, "method": method, "params": parameters]
        if inSession, let session { message["sessionId"] = session }
        var bytes = try JSONSerialization.data(withJSONObject: message)
        bytes.append(0)
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(requests, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw TestSupportError("writing to Chromium failed: \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let answer = try readMessage(until: deadline)
            guard answer["id"] as? Int == nextID else { continue }
            if let error = answer["error"] { throw TestSupportError("\(method) failed: \(error)") }
            return answer["result"] as? [String: Any] ?? [:]
        }
    }

    private func readMessage(until deadline: ContinuousClock.Instant) throws -> [String: Any] {
        while true {
            if let end = pending.firstIndex(of: 0) {
                let text = Data(pending[..<end])
                pending.removeSubrange(...end)
                if let object = try JSONSerialization.jsonObject(with: text) as? [String: Any] { return object }
                continue
            }
            let left = deadline - ContinuousClock.now
            guard left > .zero else { throw TestSupportError("Chromium did not answer in time") }
            var poller = pollfd(fd: answers, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(left.components.seconds * 1000 + 1))
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = read(answers, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { throw TestSupportError("Chromium closed its DevTools pipe (it exited?)") }
            pending.append(contentsOf: chunk[..<count])
        }
    }
}
