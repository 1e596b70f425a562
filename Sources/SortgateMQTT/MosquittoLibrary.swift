import CMosquitto

/// libmosquitto's process-wide initialisation. `mosquitto_lib_init` is not thread-safe and must run
/// once before any `mosquitto_new`; a `static let` is initialised exactly once, atomically, on first use.
/// `mosquitto_lib_cleanup` is never called: the library stays initialised for the life of the process.
enum MosquittoLibrary {
    static let initialised: Void = {
        // It only fails on Windows (socket start-up); nothing to report on Linux.
        _ = mosquitto_lib_init()
    }()

    static func ensureInitialised() {
        _ = initialised
    }
}
