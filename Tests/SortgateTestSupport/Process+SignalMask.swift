public import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension Process {
    /// `run()`, but the child starts with no blocked signals.
    ///
    /// A child inherits the signal mask of the thread that spawns it, and Foundation's `Process` does
    /// not reset it. Swift concurrency's worker threads (libdispatch) block nearly every signal, so a
    /// tool started from a test would ignore SIGTERM (mosquitto would only die to SIGKILL, without
    /// writing its persistence database) and SIGALRM (`mosquitto_sub -W` would never time out).
    /// The mask of the spawning thread is opened just for the spawn and restored at once. Use it for
    /// every child a test signals (a gateway executable stopped with SIGTERM included).
    public func runWithDefaultSignalMask() throws {
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        var previous = sigset_t()
        pthread_sigmask(SIG_SETMASK, &unblocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try run()
    }
}

extension Process {
    /// Starts `executable` with stdin from /dev/null, stdout into the file at `output` and stderr into
    /// the one at `error` (both created empty; they may be the same file), in `directory` when given.
    ///
    /// Output goes to files rather than pipes: a pipe nobody reads could fill up and stall a chatty
    /// tool. The child starts with the default signal mask (`runWithDefaultSignalMask()`).
    public static func startLogging(
        _ executable: URL,
        _ arguments: [String],
        output: URL,
        error: URL,
        in directory: URL? = nil
    ) throws -> Process {
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        if error != output {
            _ = FileManager.default.createFile(atPath: error.path, contents: nil)
        }
        let outputHandle = try FileHandle(forWritingTo: output)
        let errorHandle = error == output ? outputHandle : try FileHandle(forWritingTo: error)
        defer {
            try? outputHandle.close()
            if error != output { try? errorHandle.close() }
        }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = outputHandle
        process.standardError = errorHandle
        if let directory {
            process.currentDirectoryURL = directory
        }
        try process.runWithDefaultSignalMask()
        return process
    }

    /// Sends SIGTERM, waits up to `grace` for the process to exit, then SIGKILLs it; returns once it
    /// has exited, with its exit status.
    @discardableResult
    public func terminateAndWait(grace: Duration = .seconds(10)) -> Int32 {
        terminate()
        let deadline = ContinuousClock.now + grace
        while isRunning, ContinuousClock.now < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
        if isRunning {
            kill(processIdentifier, SIGKILL)
        }
        waitUntilExit()
        return terminationStatus
    }
}
