import Glibc
public import SortgateCore

extension SiteConfig {
    /// The event ring's size when the config has no `ring` section: 65 536 slots of 256 bytes,
    /// messages up to 1 MiB (16 MiB + 1 MiB of memory).
    public static let defaultRing = EventRing.Configuration()

    /// The file the live gateway keeps its event ring in (config `ring.path`, resolved against
    /// the config file's folder): by default the SQLite database's path with `.ring` appended,
    /// so that the ring and the position stored in the database travel together. Nil for a
    /// PostgreSQL database without `ring.path`.
    public var ringFilePath: String? {
        if let ringFile { return ringFile }
        if case .sqlite(let path) = database { return path + ".ring" }
        return nil
    }
}

extension SiteConfigLoader {
    /// `ring: {slots: 65536, slot_size: 256, max_message: 1MiB, path: FILE}`; `max_message` must hold
    /// `max_payload` plus 1 KiB of topic, and the ring must hold `max_message`.
    func readRing(_ node: YAMLNode, _ path: String, maxPayload: Int) -> EventRing.Configuration? {
        guard
            var map = YAMLMapping(node, path: path, expected: "a mapping with slots, slot_size, max_message", log: log)
        else { return nil }
        map.reportUnknownKeys(known: ["slots", "slot_size", "max_message", "path"])
        if let file = map.optional("path", { node, path -> String? in
            node.text(path, expected: "the path of the file the ring is kept in", log: log).map(resolve)
        }) {
            ringFile = file
        } else if map.contains("path") {
            return nil
        }
        var ring = SiteConfig.defaultRing
        var valid = true
        if let slots = map.optional(
            "slots",
            { node, path -> Int? in
                guard
                    let value = node.integer(
                        path,
                        expected: "a power of two from 2 to 16777216",
                        in: 2...(1 << 24),
                        log: log
                    )
                else { return nil }
                guard value & (value - 1) == 0 else {
                    log.error(at: node, path: path, "expected a power of two from 2 to 16777216, got \(value)")
                    return nil
                }
                return value
            }
        ) {
            ring.slots = slots
        } else if map.contains("slots") {
            valid = false
        }
        if let slotSize = map.optional(
            "slot_size",
            { node, path -> Int? in
                guard let value = node.byteSize(path, in: 64...65_536, log: log) else { return nil }
                guard value % 8 == 0 else {
                    log.error(at: node, path: path, "expected a multiple of 8 bytes from 64 to 65536, got \(value)")
                    return nil
                }
                return value
            }
        ) {
            ring.slotSize = slotSize
        } else if map.contains("slot_size") {
            valid = false
        }
        if let maxMessage = map.optional(
            "max_message",
            { $0.byteSize($1, in: 1...SiteConfig.maximumMaxPayload, log: log) }
        ) {
            ring.maxMessageBytes = maxMessage
        } else if map.contains("max_message") {
            valid = false
        } else {
            ring.maxMessageBytes = max(SiteConfig.defaultRing.maxMessageBytes, maxPayload + 1024)
        }
        guard valid else { return nil }
        if ring.maxMessageBytes < maxPayload + 1024 {
            log.error(
                at: map["max_message"] ?? node,
                path: path + (map.contains("max_message") ? ".max_message" : ""),
                "max_message \(ring.maxMessageBytes) must be at least max_payload \(maxPayload) + 1024 bytes of topic"
            )
            return nil
        }
        if let problem = ring.problem {
            log.error(at: node, path: path, "\(problem); raise slots or slot_size, or lower max_message")
            return nil
        }
        // `sortgate run` allocates the whole ring at start: a ring this machine cannot hold must be
        // refused here, by check-config too, not end in an abort at start-up.
        let needed = SiteConfig.memoryBytes(of: ring)
        let available = SiteConfig.physicalMemoryBytes
        if available > 0, needed > available / 2 {
            log.error(
                at: node,
                path: path,
                "the ring takes \(SiteConfig.describeBytes(needed)) of memory (slots × slot_size, its mirror area and "
                    + "sequence numbers), more than half of this machine's \(SiteConfig.describeBytes(available)); "
                    + "lower slots or slot_size"
            )
            return nil
        }
        return ring
    }
}

extension SiteConfig {
    /// The memory a ring of `configuration` allocates: its slots, the mirror area that keeps the
    /// largest message contiguous, and 16 bytes of sequence number and metadata per slot.
    public static func memoryBytes(of configuration: EventRing.Configuration) -> Int {
        let slotsPerMessage = (configuration.maxMessageBytes + EventRing.headerSize + configuration.slotSize - 1)
            / configuration.slotSize
        return (configuration.slots + slotsPerMessage - 1) * configuration.slotSize + 16 * configuration.slots
    }

    /// This machine's physical memory in bytes (0 when the system does not say).
    static var physicalMemoryBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 0 }
        let (bytes, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? .max : bytes
    }

    /// `17 MiB`, `1 TiB`, `23.4 GiB`.
    static func describeBytes(_ bytes: Int) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) \(units[unit])" : "\(rounded) \(units[unit])"
    }
}
