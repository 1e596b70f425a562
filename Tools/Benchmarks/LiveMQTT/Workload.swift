import Foundation
import SortgateCore

/// The live benchmark's traffic: `readers` RFID readers (half Impinj R700, one tag-inventory
/// event per message; half Zebra FX9600, one data event per message) reading `tags` distinct
/// SGTIN-96 EPCs in a shuffled order, and the site config the gateway runs with.
struct Workload {
    static let readers = 8
    static let antennas = 4

    let messages: Int
    let tags: Int

    /// Topic of reader `reader`.
    static func topic(_ reader: Int) -> String { "readers/\(reader)/events" }

    /// A valid SGTIN-96: header 0x30, filter 1, partition 5 (24-bit company prefix, 20-bit item
    /// reference), serial = the tag number.
    static func epcHex(_ tag: Int) -> String {
        let high =
            UInt64(0x30) << 56 | UInt64(1) << 53 | UInt64(5) << 50 | UInt64(614_141) << 26
            | UInt64(tag % 1000) << 6 | UInt64(tag >> 32 & 0x3F)
        let low = UInt32(truncatingIfNeeded: tag)
        return String(format: "%016llX%08X", high, low)
    }

    /// Message `index`: its topic and payload bytes (event time = `base` + 20 µs per message).
    ///
    /// A tag stays in one zone (one reader antenna) for a quarter of the run, then moves to the
    /// next zone, as parcels do: with `tags` well below `messages` most reads refresh a present
    /// tag and the facts are its arrivals and moves; with `tags` near `messages` (the default)
    /// almost every read is an arrival, the worst case for the SQLite sink.
    func message(_ index: Int, base: EventTime) -> (topic: String, payload: [UInt8]) {
        let tag = Int((UInt64(index) &* 2_654_435_761) % UInt64(tags))
        let phase = index / max(1, messages / 4)
        let zone = (tag + phase) % (Self.readers * Self.antennas)
        let reader = zone / Self.antennas
        let antenna = zone % Self.antennas + 1
        let time = EventTime(nanoseconds: base.nanoseconds + Int64(index) * 20_000).rfc3339
        let epc = Self.epcHex(tag)
        let payload: String
        if reader % 2 == 0 {
            payload =
                #"{"timestamp":"\#(time)","hostname":"impinj-\#(reader)","eventType":"tagInventory","tagInventoryEvent":{"epcHex":"\#(epc)","tidHex":"E2801190200051A1B2C3D4E5","pc":"NAA=","antennaPort":\#(antenna),"antennaName":"reader \#(reader) antenna \#(antenna)","peakRssiCdbm":-5750,"frequency":921625,"transmitPowerCdbm":3000,"lastSeenTime":"\#(time)","phaseAngle":208.82}}"#
        } else {
            payload =
                #"{"data":{"CRC":"0b18","PC":"3400","antenna":\#(antenna),"channel":866.9,"eventNum":\#(index),"format":"epc","idHex":"\#(epc)","peakRssi":-47,"phase":12.5,"reads":2},"timestamp":"\#(time)","type":"CUSTOM"}"#
        }
        return (Self.topic(reader), Array(payload.utf8))
    }

    /// Topic of the gateway's cold-chain alerts (the steady phase's `alerts: {mqtt: …}` route).
    static let alertTopic = "bench/alerts"

    /// The site config for the gateway: one zone per reader antenna, SQLite in `folder`. With
    /// `coldRooms` (the Modbus TCP port of `ColdRooms`), also one chilled cold room per simulated
    /// XY-MD02 sensor, polled every 200 ms, alarm delay 1 s, alerts published to `alertTopic`.
    /// With `central` (a PostgreSQL URL and its password file), the gateway also ships to it.
    static func siteConfig(
        port: Int,
        qos: Int,
        folder: String,
        profiles: String,
        coldRooms: Int? = nil,
        central: (url: String, passwordFile: String)? = nil
    ) -> String {
        var zones = ""
        var devices = ""
        var coldChain = ""
        if let coldRooms {
            for unit in 1...ColdRooms.sensors {
                zones += "  cold-room-\(unit): {type: cold-room, class: chilled}\n"
                devices +=
                    "  - {id: t\(unit), profile: xy-md02, modbus: {host: 127.0.0.1, port: \(coldRooms), unit: \(unit)}, "
                    + "poll: 200ms, timeout: 150ms, zone: cold-room-\(unit)}\n"
            }
            coldChain = """
                cold_chain:
                  classes:
                    chilled: {min: 2, max: 8, alarm_delay: 1s}
                alerts:
                  mqtt: {broker: site, topic: \(alertTopic), qos: 1}

                """
        }
        for reader in 0..<readers {
            var points: [String] = []
            for antenna in 1...antennas {
                zones += "  zone-\(reader)-\(antenna): {type: sorter}\n"
                points.append("\(antenna): zone-\(reader)-\(antenna)")
            }
            devices += """
                  - id: reader-\(reader)
                    profile: \(reader % 2 == 0 ? "impinj-r700" : "zebra-fx9600")
                    broker: site
                    topic: \(topic(reader))
                    qos: \(qos)
                    read_points: {\(points.joined(separator: ", "))}

                """
        }
        return """
            site: bench
            database: {sqlite: \(folder)/sortgate.sqlite}
            profiles_path: [\(profiles)]
            brokers:
              site: {host: 127.0.0.1, port: \(port), client_id: bench-gateway-q\(qos), clean_session: false, keepalive: 60s}
            zones:
            \(zones)devices:
            \(devices)
            """ + coldChain
            + (central.map { "central: {postgres: \"\($0.url)\", password_file: \($0.passwordFile)}\n" } ?? "")
    }
}
