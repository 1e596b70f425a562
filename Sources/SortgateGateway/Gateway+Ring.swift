import Foundation
import Logging
import SortgateConfig
import SortgateCore
import SortgateIngest
import SortgateStore
import SortgateThreads

extension Gateway {
    /// The live ring in its file, and what a previous process left to re-process.
    struct PreparedRing {
        /// The ring the sources and the pipeline use (formatted once the leftover is committed).
        var live: EventRing
        /// The ring a previous process left messages in (the live one, or the previous file of
        /// another geometry); nil when there is nothing to look at.
        var leftover: EventRing?
        /// The database's recovery point.
        var committed: UInt64
        /// A previous file of another geometry, removed once its messages are committed.
        var previousFile: String?
    }

    /// Opens the ring file of `config` (see README, "Reliability"): a file holding a ring of the
    /// configured geometry is taken as it is, to be recovered; one of another geometry is moved
    /// aside, recovered with its own geometry and removed, and a new file is made; a missing or
    /// unformatted file is made afresh. A file whose uncommitted messages were written under
    /// another device list is refused: its source ids would name the wrong devices.
    static func prepareRing(
        _ config: SiteConfig,
        _ configuration: EventRing.Configuration,
        store: SQLiteStore,
        logger: Logger
    ) throws(SetupError) -> PreparedRing {
        guard let path = config.ringFilePath else {
            throw SetupError(kind: .config, description: "no ring file: give ring.path for this database")
        }
        let tag = sourceTag(config)
        let committed: UInt64
        do {
            committed = try store.ringPosition() ?? 0
        } catch {
            throw SetupError(kind: .storage, description: "cannot read the ring position: \(error)")
        }
        let sources = config.devices.count
        func makeRing(_ file: RingFile, _ configuration: EventRing.Configuration, _ format: EventRing.Format) -> EventRing {
            EventRing(
                configuration: configuration,
                sources: sources,
                region: file.region,
                owner: file,
                format: format,
                retention: .untilReleased,
                consumerParker: WakeSignal(),
                producerParker: WakeSignal()
            )
        }
        do {
            // An empty file is one a killed process created and never grew: as good as none.
            let existingSize = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            if existingSize > 0 {
                let file = try RingFile(path: path, size: nil)
                if let stored = file.storedConfiguration {
                    let old = makeRing(file, stored, .existing)
                    var leftover: EventRing? = old
                    if old.sourceTag != tag {
                        let pending = old.recover(from: committed) { _ in }.messages
                        guard pending == 0 else {
                            throw SetupError(
                                kind: .config,
                                description: "ring file '\(path)' holds \(pending) messages not yet committed, written "
                                    + "with another list of devices; start once with the previous config to commit "
                                    + "them, or remove the file to give them up"
                            )
                        }
                        leftover = nil
                    }
                    if stored == configuration {
                        return PreparedRing(live: old, leftover: leftover, committed: committed, previousFile: nil)
                    }
                    let previous = path + ".previous"
                    try FileManager.default.moveItem(atPath: path, toPath: previous)
                    let base = max(committed, old.tailPosition)
                    let live = makeRing(
                        try RingFile(path: path, size: EventRing.byteCount(for: configuration)),
                        configuration,
                        .fresh(startingAt: base, sourceTag: tag)
                    )
                    let geometry = "\(stored.slots) slots of \(stored.slotSize) bytes"
                    logger.notice(
                        "ring file '\(path)' had another geometry (\(geometry)): re-processed from '\(previous)', then removed"
                    )
                    return PreparedRing(live: live, leftover: leftover, committed: committed, previousFile: previous)
                }
                file.close()
            }
            // A new (or unformatted) file: its positions start above every position the database
            // holds, rows written since the recovery point included, so none is ever reused.
            let base = max(committed, try store.highestRingPosition() ?? 0)
            let file = try RingFile(path: path, size: EventRing.byteCount(for: configuration))
            let live = makeRing(file, configuration, .fresh(startingAt: base, sourceTag: tag))
            return PreparedRing(live: live, leftover: nil, committed: base, previousFile: nil)
        } catch let error as SetupError {
            throw error
        } catch {
            throw SetupError(kind: .storage, description: "\(error)")
        }
    }

    /// Re-processes what the previous process left in the ring, commits it, and formats the live
    /// ring to continue after it. Before any source starts.
    static func recoverRing(
        _ prepared: PreparedRing,
        config: SiteConfig,
        pipeline: PipelineService,
        store: SQLiteStore,
        logger: Logger
    ) throws(SetupError) {
        let started = ContinuousClock.now
        var base = max(prepared.committed, prepared.live.tailPosition)
        if let leftover = prepared.leftover {
            do {
                let skips = try store.inventoryRingPositions(above: prepared.committed)
                let (recovery, skippedReads) = try pipeline.recover(
                    leftover,
                    from: prepared.committed,
                    skipping: skips
                )
                base = max(base, recovery.end)
                let elapsed = Self.milliseconds(ContinuousClock.now - started)
                logger.notice(
                    "ring recovered: \(recovery.messages) messages re-processed and committed in \(elapsed) ms",
                    metadata: [
                        "from": "\(recovery.start)", "to": "\(recovery.end)", "torn": "\(recovery.tornMessages)",
                        "reads_already_counted": "\(skippedReads)",
                    ]
                )
                if recovery.tornMessages > 0 {
                    let torn = recovery.tornMessages
                    logger.warning("ring recovery skipped \(torn) message(s) whose copy into the ring was cut short")
                }
            } catch {
                throw SetupError(kind: .storage, description: "cannot recover the ring: \(error)")
            }
        } else {
            logger.notice("ring ready: nothing to recover", metadata: ["position": "\(base)"])
        }
        if prepared.leftover === prepared.live && prepared.live.tailPosition >= prepared.committed {
            // Goes on after the recovered messages, which stay as history for the next recovery.
            prepared.live.resume()
        } else if prepared.previousFile == nil {
            // A ring without a usable past (new file, or another device list with nothing pending);
            // a new file of another geometry was made fresh after the previous one's tail already.
            prepared.live.reset(startingAt: base, sourceTag: sourceTag(config))
        }
        if let previous = prepared.previousFile { try? FileManager.default.removeItem(atPath: previous) }
    }

    /// A digest of the device list (ids in order): a ring's source ids mean devices only under
    /// the list they were written with. FNV-1a, stable across processes (unlike `Hasher`).
    static func sourceTag(_ config: SiteConfig) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for device in config.devices {
            for byte in device.id.utf8 + [0] {
                hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
            }
        }
        return hash
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
