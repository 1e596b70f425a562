import Foundation
import SortgateCore

/// Texts of device messages in the vendors' own shapes, as their documentation shows them.
///
/// The variety is deliberate and seeded: decoders must accept every field order and every
/// optional field the vendors document, so the same reader sends base64 and hex EPCs, full and
/// minimal events, and Zebra's lower-case `idHex`.
enum DevicePayloads {
    // MARK: Impinj IoT Device Interface

    /// One Impinj event object (a whole message, or an element of `{"events":[…]}`).
    static func impinjTagEvent(_ read: ReadEvent, epc: EPC, reader: ReaderSpec, random: inout SplitMix64) -> String {
        let time = EventTime(nanoseconds: read.time).rfc3339
        // Centi-dBm, in the 0.5 dB steps of the vendor's samples.
        let rssi = -50 * random.int(in: 64...150)
        let epcFields: String
        switch random.int(in: 0...2) {
        case 0: epcFields = #""epcHex":"\#(epc.hex)""#
        case 1: epcFields = #""epc":"\#(base64(epc))""#
        default: epcFields = #""epc":"\#(base64(epc))","epcHex":"\#(epc.hex)""#
        }
        if random.chance(0.3) {
            // A reader whose eventConfig turned off every optional field.
            return #"{"timestamp":"\#(time)","tagInventoryEvent":{\#(epcFields),"antennaPort":\#(read.antenna),"#
                + #""peakRssiCdbm":\#(rssi)}}"#
        }
        let name = reader.readPoints.first { $0.antenna == read.antenna }?.name ?? "Antenna \(read.antenna)"
        // ETSI EN 302 208 channels (kHz): a European site.
        let frequency = random.element(of: [865_700, 866_300, 866_900, 867_500])
        // `lastSeenTime` has microseconds and precedes the event's `timestamp`.
        let lastSeen = EventTime(nanoseconds: read.time - random.nanoseconds(seconds: 0.001...0.08)).rfc3339
        return #"{"timestamp":"\#(time)","hostname":"\#(reader.hostname)","eventType":"tagInventory","#
            + #""tagInventoryEvent":{\#(epcFields),"antennaPort":\#(read.antenna),"antennaName":"\#(name)","#
            + #""peakRssiCdbm":\#(rssi),"frequency":\#(frequency),"transmitPowerCdbm":3000,"#
            + #""lastSeenTime":"\#(lastSeen.prefix(26))Z"}}"#
    }

    /// Impinj's batch wrapper, as HTTP/webhook deployments and some MQTT bridges send it.
    static func impinjBatch(_ events: [String]) -> String {
        #"{"events":[\#(events.joined(separator: ","))]}"#
    }

    static func impinjAntennaConnected(time: Int64, port: Int, reader: ReaderSpec) -> String {
        #"{"timestamp":"\#(EventTime(nanoseconds: time).rfc3339)","hostname":"\#(reader.hostname)","#
            + #""eventType":"antennaConnected","antennaConnectedEvent":{"antennaPort":\#(port)}}"#
    }

    static func impinjInventoryStatus(time: Int64, status: String, reader: ReaderSpec) -> String {
        #"{"timestamp":"\#(EventTime(nanoseconds: time).rfc3339)","hostname":"\#(reader.hostname)","#
            + #""eventType":"inventoryStatus","inventoryStatusEvent":{"inventoryStatus":"\#(status)"}}"#
    }

    /// A tag inventory event whose EPC fields the reader's eventConfig dropped entirely.
    static func impinjEventWithoutEPC(time: Int64, antenna: Int, reader: ReaderSpec) -> String {
        #"{"timestamp":"\#(EventTime(nanoseconds: time).rfc3339)","hostname":"\#(reader.hostname)","#
            + #""eventType":"tagInventory","tagInventoryEvent":{"antennaPort":\#(antenna),"peakRssiCdbm":-6650,"#
            + #""frequency":866900,"transmitPowerCdbm":3000}}"#
    }

    // MARK: Zebra IoT Connector

    /// One Zebra data event object (a whole message, or an element of a JSON array). For the
    /// rejected messages, `antenna` (raw JSON) and `idHex` (text) replace the read's own.
    static func zebraTagEvent(
        _ read: ReadEvent,
        epc: EPC,
        eventNumber: Int,
        reader: ReaderSpec,
        random: inout SplitMix64,
        antenna: String? = nil,
        idHex: String? = nil
    ) -> String {
        // Drawn only without a given idHex, so each seed still names the same capture.
        let idHex = idHex ?? (random.chance(0.35) ? epc.hex.lowercased() : epc.hex)
        let antenna = antenna ?? String(read.antenna)
        let count = read.count
        let timestamp = zebraTimestamp(read.time, utcOffsetMinutes: reader.utcOffsetMinutes)
        let rssi = -random.int(in: 32...75)
        if random.chance(0.25) {
            // The CUSTOM report adds the tag's StoredCRC, PC word, channel (MHz) and phase (degrees).
            let channel = random.element(of: ["865.7", "866.3", "866.9", "867.5"])
            let phase = random.int(in: 0...35_999)
            let crc = String(gen2CRC(pc: 0x3000, epc: epc), radix: 16)
            return #"{"data":{"CRC":"\#(fourDigits(crc))","PC":"3000","antenna":\#(antenna),"channel":\#(channel),"#
                + #""eventNum":\#(eventNumber),"format":"epc","idHex":"\#(idHex)","peakRssi":\#(rssi),"#
                + #""phase":\#(phase / 100).\#(padded(phase % 100, width: 2)),"reads":\#(count)},"#
                + #""timestamp":"\#(timestamp)","type":"CUSTOM"}"#
        }
        return #"{"data":{"antenna":\#(antenna),"eventNum":\#(eventNumber),"format":"epc","idHex":"\#(idHex)","#
            + #""peakRssi":\#(rssi),"reads":\#(count)},"timestamp":"\#(timestamp)","type":"SIMPLE"}"#
    }

    /// Zebra's batched delivery: a JSON array of data events.
    static func zebraBatch(_ events: [String]) -> String {
        "[" + events.joined(separator: ",") + "]"
    }

    /// A Zebra management-events heartbeat (IoT Connector: `radio_control` and `system`
    /// sections), published here on the data topic as a reader set up with one endpoint does.
    static func zebraHeartbeat(
        time: Int64,
        reader: ReaderSpec,
        uptimeMinutes: Int64,
        tagReads: Int,
        messages: Int,
        random: inout SplitMix64
    ) -> String {
        let antennas = (reader.readPoints.map(\.antenna) + reader.otherAntennas)
            .map { #""\#($0)":"connected""# }
            .joined(separator: ",")
        // IoT Connector prints uptimes as days:hours:minutes.
        let uptime =
            "\(uptimeMinutes / 1440):\(padded(uptimeMinutes / 60 % 24, width: 2)):"
            + padded(uptimeMinutes % 60, width: 2)
        let ramUsed = 201_000_000 + Int(random.below(4_000_000))
        return #"{"data":{"radio_control":{"antennas":{\#(antennas)},"cpu":\#(random.int(in: 1...6)),"#
            + #""num_data_messages_txed":\#(messages),"num_errors":0,"num_radio_packets_rxed":\#(tagReads * 3 + 17),"#
            + #""num_tag_reads":\#(tagReads),"num_warnings":0,"radio_activity":"active","#
            + #""radio_connection":"connected","ram":\#(random.int(in: 7...9)),"uptime":"\#(uptime)"},"#
            + #""system":{"cpu":{"system":\#(random.int(in: 2...6)),"user":\#(random.int(in: 3...11))},"#
            + #""flash":{"platform":{"free":131072000,"total":268435456,"used":137363456}},"#
            + #""ntp":{"offset":0.\#(padded(random.int(in: 1...900), width: 3)),"reach":377},"#
            + #""ram":{"free":\#(536_870_912 - ramUsed),"total":536870912,"used":\#(ramUsed)},"#
            + #""temperature":\#(random.int(in: 38...46)),"uptime":"\#(uptime)"}},"#
            + #""timestamp":"\#(zebraTimestamp(time, utcOffsetMinutes: reader.utcOffsetMinutes))","type":"heartbeat"}"#
    }

    /// Local time with milliseconds and a `+hhmm` offset without colon, as IoT Connector prints it.
    static func zebraTimestamp(_ time: Int64, utcOffsetMinutes: Int) -> String {
        let local = EventTime(nanoseconds: time + Int64(utcOffsetMinutes) * 60_000_000_000).rfc3339
        let sign = utcOffsetMinutes < 0 ? "-" : "+"
        let offset = abs(utcOffsetMinutes)
        return String(local.prefix(23)) + sign + padded(offset / 60, width: 2) + padded(offset % 60, width: 2)
    }

    // MARK: Helpers

    static func base64(_ epc: EPC) -> String {
        Data(epc.bytes).base64EncodedString()
    }

    /// The Gen2 StoredCRC over the PC word and the EPC: CRC-16/GENIBUS (polynomial 0x1021,
    /// preset 0xFFFF, result complemented), as the tag itself computes it.
    static func gen2CRC(pc: UInt16, epc: EPC) -> UInt16 {
        var crc: UInt16 = 0xFFFF
        for byte in [UInt8(pc >> 8), UInt8(pc & 0xFF)] + epc.bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return ~crc
    }

    private static func fourDigits(_ hex: String) -> String {
        String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}
