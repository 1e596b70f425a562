import GRDB
import GRDBSQLite
import Logging
import SortgateThreads
import Synchronization

/// Checkpoints the writer's WAL on a thread of its own, so that a commit never waits for one.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold: that commit
/// copies every page the WAL holds into the database file and syncs both, while the pipeline's
/// next batch waits. Here the writer connection's WAL hook (called after each commit with the WAL's
/// size in pages) only wakes the `sortgate-ckpt` thread once the WAL holds `threshold` pages, and
/// that thread runs a PASSIVE checkpoint on its own connection: it copies what no reader still needs,
/// concurrently with the writer's next commits (WAL mode lets a checkpoint and a writer run at the
/// same time), and takes no lock a commit waits for. SQLite restarts the WAL from its beginning at
/// the first commit after a complete checkpoint, so the file stays at about `threshold` pages.
///
/// Should the thread fall behind (a reader holding an old snapshot keeps a checkpoint from
/// completing, the disk is slow) and the WAL reach `inlineLimit` pages, the writer checkpoints
/// inline after its commit, as SQLite's own automatic checkpoint would: the WAL stays bounded.
final class WALCheckpointer: Sendable {
    /// The WAL size in pages at which the thread checkpoints (64 MiB of 4 KiB pages): a larger WAL
    /// lets a page the batches keep changing (B-tree pages of the inventory) be copied once per
    /// checkpoint instead of many times (the README's Benchmarks section measures it against
    /// SQLite's default of 1 000 pages).
    static let threshold: Int32 = 16384
    /// The WAL size at which the writer checkpoints inline (the thread fell behind).
    static let inlineLimit: Int32 = 4 * threshold

    let path: String
    private let wake = WakeSignal()
    private let stop = WakeSignal()
    private let thread = Mutex<DedicatedThread?>(nil)
    /// Checkpoints the thread ran that copied pages, and the writer's inline ones.
    let checkpoints = Atomic<UInt64>(0)
    let inlineCheckpoints = Atomic<UInt64>(0)
    private let logger: Logger

    init(path: String, logger: Logger = Logger(label: "sortgate.sqlite.checkpoint")) {
        self.path = path
        self.logger = logger
    }

    /// Installs the WAL hook on `db` (the writer connection) and starts the thread.
    func attach(to db: Database) throws {
        guard let connection = db.sqliteConnection else { return }
        // The hook replaces SQLite's automatic checkpoint (which is itself a WAL hook).
        sqlite3_wal_hook(
            connection,
            { context, connection, _, pages in
                let checkpointer = Unmanaged<WALCheckpointer>.fromOpaque(context!).takeUnretainedValue()
                checkpointer.committed(pages: pages, connection: connection)
                return SQLITE_OK
            },
            // Retained for as long as the connection may call the hook: one small object per store
            // opened for writing, which never runs a commit after the store is gone.
            Unmanaged.passRetained(self).toOpaque()
        )
        let thread = try DedicatedThread.spawn(name: "sortgate-ckpt") { [self] in run() }
        self.thread.withLock { $0 = thread }
    }

    /// Stops the thread (after the checkpoint it may be running) and closes its connection; the
    /// hook stays, and a commit after this checkpoints inline once the WAL reaches `inlineLimit`.
    func stopThread() {
        stop.signal()
        wake.signal()
        thread.withLock { $0 }?.join()
    }

    /// The writer's WAL hook: called after each commit, on the writer's thread.
    private func committed(pages: Int32, connection: OpaquePointer?) {
        if pages >= Self.inlineLimit {
            inlineCheckpoints.add(1, ordering: .relaxed)
            sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        } else if pages >= Self.threshold {
            wake.signal()
        }
    }

    private func run() {
        var connection: OpaquePointer?
        let opened = sqlite3_open_v2(path, &connection, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil)
        defer { sqlite3_close_v2(connection) }
        guard opened == SQLITE_OK, let connection else {
            logger.error("cannot open '\(path)' to checkpoint its WAL (SQLite code \(opened)); the writer checkpoints inline")
            return
        }
        sqlite3_busy_timeout(connection, 5000)
        // A connection learns that the file is in WAL mode (and opens the WAL) at its first read;
        // until then a checkpoint through it is a no-op.
        sqlite3_exec(connection, "SELECT count(*) FROM sqlite_master", nil, nil, nil)
        var seen = wake.epoch
        while !stop.isSignalled {
            wake.wait(whileEpochIs: seen, for: .seconds(60))
            seen = wake.epoch
            if stop.isSignalled { break }
            var copied: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, &copied)
            if code == SQLITE_OK && copied > 0 { checkpoints.add(1, ordering: .relaxed) }
            if code != SQLITE_OK && code != SQLITE_BUSY {
                logger.warning("checkpointing '\(path)' failed: \(String(cString: sqlite3_errstr(code)))")
            }
        }
    }
}
