import SortgateCore

/// One line of the capture, and what it means for the expected outcome.
struct CaptureMessage {
    enum Effect {
        /// Tag reads the pipeline must decode, one per event of the message.
        case reads([ReadEvent])
        /// A well-formed message that is not a tag read (reader status, heartbeat): ignored, counted.
        case ignored(time: Int64)
        /// A message the pipeline must reject and count under this reason.
        case rejected(RejectReason)
        /// An exact copy of an earlier message, as an MQTT QoS 1 redelivery: its reads count once.
        case redelivery
    }

    /// Arrival time at the gateway (the capture's `t`), nanoseconds since the Unix epoch.
    var arrival: Int64
    /// Index into `DemoSite.readers`.
    var reader: Int
    var payload: String
    var effect: Effect
    /// Creation order, to order messages that arrive in the same nanosecond.
    var order: Int
}

/// The five ways the capture's rejected messages are broken, one message each.
private enum Flaw: CaseIterable {
    /// An Impinj message cut off mid-object (a truncated publish).
    case truncatedJSON
    /// An Impinj tag event without `epc` or `epcHex`.
    case missingEPC
    /// A Zebra event with `"antenna":"one"`.
    case antennaAsWord
    /// A Zebra `idHex` with 23 digits.
    case oddLengthEPC
    /// A Zebra `idHex` with a letter O in place of a digit.
    case nonHexEPC

    var reader: String {
        switch self {
        case .truncatedJSON: "dock1-reader"
        case .missingEPC: "chutes-b-reader"
        case .antennaAsWord: "induction-reader"
        case .oddLengthEPC: "chutes-a-reader"
        case .nonHexEPC: "dock-out-reader"
        }
    }

    var reason: RejectReason {
        switch self {
        case .truncatedJSON: .malformedJSON
        case .missingEPC: .missingField
        case .antennaAsWord: .wrongType
        case .oddLengthEPC, .nonHexEPC: .invalidEPC
        }
    }
}

/// Something a reader sends, before it is written as a message.
private enum StreamItem {
    case read(ReadEvent)
    /// A broken message about this read (same tag, antenna and time).
    case flawed(Flaw, ReadEvent)
    case antennaConnected(time: Int64, port: Int)
    case inventoryRunning(time: Int64)
    case heartbeat(time: Int64)

    var time: Int64 {
        switch self {
        case .read(let read), .flawed(_, let read): read.time
        case .antennaConnected(let time, _), .inventoryRunning(let time), .heartbeat(let time): time
        }
    }
}

private let millisecond: Int64 = 1_000_000
private let second: Int64 = 1_000_000_000

/// Turns the scenario's reads into the messages each reader publishes, in arrival order.
///
/// Per reader, messages leave in timestamp order and arrive a few milliseconds later (so a
/// reader's `eventNum`s arrive in increasing order); across readers, lines interleave by
/// arrival time. Redeliveries are the only messages that arrive out of their reader's order.
struct CaptureAssembler {
    var random: SplitMix64
    let scenario: ShiftScenario
    private var order = 0

    init(random: SplitMix64, scenario: ShiftScenario) {
        self.random = random
        self.scenario = scenario
    }

    mutating func assemble(redeliveries: Int) -> [CaptureMessage] {
        let readers = DemoSite.readers
        var streams = Array(repeating: [StreamItem](), count: readers.count)
        for read in scenario.reads {
            streams[read.reader].append(.read(read))
        }
        for flaw in Flaw.allCases {
            guard let reader = readers.firstIndex(where: { $0.id == flaw.reader }) else {
                preconditionFailure("no reader '\(flaw.reader)'")
            }
            // Mid-shift, about a read that really happened there.
            let candidates = scenario.reads.filter {
                $0.reader == reader && $0.time > scenario.start + 200 * second
                    && $0.time < scenario.start + 700 * second
            }
            var read = random.element(of: candidates)
            read.time += random.nanoseconds(seconds: 0.1...0.7)
            if readers[reader].vendor == .zebra { read.time -= read.time % millisecond }
            streams[reader].append(.flawed(flaw, read))
        }
        for (index, reader) in readers.enumerated() {
            switch reader.vendor {
            case .impinj:
                // What an Impinj reader says when its inventory preset starts.
                for (k, point) in reader.readPoints.enumerated() {
                    let time = scenario.start + Int64(100 + 7 * k) * millisecond + Int64(random.below(1_000_000))
                    streams[index].append(.antennaConnected(time: time, port: point.antenna))
                }
                streams[index].append(
                    .inventoryRunning(time: scenario.start + 400 * millisecond + Int64(random.below(1_000_000)))
                )
            case .zebra:
                // One heartbeat a minute; the last ones stay well before the last read, so that
                // the capture's last event is a tag read however a pipeline treats heartbeats.
                var time = scenario.start + Int64(20 + 7 * index) * second + Int64(random.below(1000)) * millisecond
                while time < scenario.lastReadTime - 45 * second {
                    streams[index].append(.heartbeat(time: time))
                    time += 60 * second
                }
            }
        }

        var messages: [CaptureMessage] = []
        for index in readers.indices {
            messages += readerMessages(of: index, items: streams[index])
        }
        addRedeliveries(redeliveries, to: &messages)
        messages.sort { ($0.arrival, $0.order) < ($1.arrival, $1.order) }
        return messages
    }

    private mutating func readerMessages(of readerIndex: Int, items unsorted: [StreamItem]) -> [CaptureMessage] {
        let reader = DemoSite.readers[readerIndex]
        let items = unsorted.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }
            .map(\.element)
        // Zebra counts events from reader boot; the shift starts mid-count.
        var eventNumber = 1_000 + Int(random.below(40_000))
        var tagReadsSoFar = 0
        var lastArrival = Int64.min
        var result: [CaptureMessage] = []
        var i = 0
        while i < items.count {
            let payload: String
            let effect: CaptureMessage.Effect
            var lastTime = items[i].time
            switch items[i] {
            case .read(let first):
                var group = [first]
                i += 1
                // Readers batch reads that come close together (Zebra JSON arrays, Impinj's
                // `{"events":[…]}`).
                if random.chance(reader.vendor == .zebra ? 0.2 : 0.1) {
                    let limit = reader.vendor == .zebra ? 6 : 4
                    while i < items.count, group.count < limit, case .read(let next) = items[i],
                        next.time - first.time <= 500 * millisecond
                    {
                        group.append(next)
                        i += 1
                    }
                }
                lastTime = group[group.count - 1].time
                var events: [String] = []
                for read in group {
                    let epc = scenario.tags[read.tag].epc.epc
                    switch reader.vendor {
                    case .impinj:
                        events.append(DevicePayloads.impinjTagEvent(read, epc: epc, reader: reader, random: &random))
                    case .zebra:
                        eventNumber += 1
                        events.append(
                            DevicePayloads.zebraTagEvent(
                                read,
                                epc: epc,
                                eventNumber: eventNumber,
                                reader: reader,
                                random: &random
                            )
                        )
                    }
                    tagReadsSoFar += read.count
                }
                // A batch of one happens too, when the reader's batching timer fires early.
                if group.count > 1 || random.chance(0.03) {
                    payload =
                        reader.vendor == .zebra
                        ? DevicePayloads.zebraBatch(events) : DevicePayloads.impinjBatch(events)
                } else {
                    payload = events[0]
                }
                effect = .reads(group)
            case .flawed(let flaw, let read):
                i += 1
                payload = flawedPayload(flaw, read: read, reader: reader, eventNumber: &eventNumber)
                effect = .rejected(flaw.reason)
            case .antennaConnected(let time, let port):
                i += 1
                payload = DevicePayloads.impinjAntennaConnected(time: time, port: port, reader: reader)
                effect = .ignored(time: time)
            case .inventoryRunning(let time):
                i += 1
                payload = DevicePayloads.impinjInventoryStatus(time: time, status: "running", reader: reader)
                effect = .ignored(time: time)
            case .heartbeat(let time):
                i += 1
                // Booted a few days before the shift.
                let uptime = Int64(4 * 1440 + 3 * 60 + 11 + readerIndex * 97) + (time - scenario.start) / (60 * second)
                payload = DevicePayloads.zebraHeartbeat(
                    time: time,
                    reader: reader,
                    uptimeMinutes: uptime,
                    tagReads: tagReadsSoFar,
                    messages: result.count,
                    random: &random
                )
                effect = .ignored(time: time)
            }
            let arrival = max(lastTime + random.nanoseconds(seconds: 0.002...0.030), lastArrival + 1_000)
            lastArrival = arrival
            result.append(
                CaptureMessage(arrival: arrival, reader: readerIndex, payload: payload, effect: effect, order: order)
            )
            order += 1
        }
        return result
    }

    private mutating func flawedPayload(_ flaw: Flaw, read: ReadEvent, reader: ReaderSpec, eventNumber: inout Int)
        -> String
    {
        let epc = scenario.tags[read.tag].epc.epc
        switch flaw {
        case .truncatedJSON:
            let whole = DevicePayloads.impinjTagEvent(read, epc: epc, reader: reader, random: &random)
            // Any proper prefix of a JSON object is invalid JSON: the closing brace is missing.
            return String(whole.prefix(whole.count * 3 / 5))
        case .missingEPC:
            return DevicePayloads.impinjEventWithoutEPC(time: read.time, antenna: read.antenna, reader: reader)
        case .antennaAsWord, .oddLengthEPC, .nonHexEPC:
            var antenna = String(read.antenna)
            var idHex = epc.hex
            switch flaw {
            case .antennaAsWord: antenna = #""one""#
            case .oddLengthEPC: idHex.removeLast()
            default:
                var digits = Array(idHex)
                digits[9] = "O"
                idHex = String(digits)
            }
            eventNumber += 1
            return DevicePayloads.zebraTagEvent(
                read,
                epc: epc,
                eventNumber: eventNumber,
                reader: reader,
                random: &random,
                antenna: antenna,
                idHex: idHex
            )
        }
    }

    /// Copies of single-event Zebra messages from mid-shift, sent again 0.5–6 s later.
    private mutating func addRedeliveries(_ count: Int, to messages: inout [CaptureMessage]) {
        var candidates = messages.indices.filter { index in
            let message = messages[index]
            guard DemoSite.readers[message.reader].vendor == .zebra, case .reads(let reads) = message.effect else {
                return false
            }
            return reads.count == 1 && message.arrival > scenario.start + 200 * second
                && message.arrival < scenario.start + 700 * second
        }
        random.shuffle(&candidates)
        precondition(candidates.count >= count, "not enough Zebra messages to redeliver")
        for index in candidates.prefix(count).sorted() {
            var copy = messages[index]
            copy.arrival += random.nanoseconds(seconds: 0.5...6)
            copy.effect = .redelivery
            copy.order = order
            order += 1
            messages.append(copy)
        }
    }
}
