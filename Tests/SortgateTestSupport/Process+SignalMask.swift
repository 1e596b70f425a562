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
