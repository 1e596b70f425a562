// sortgate-capture-gen: the demo's sample data, and the answer the pipeline must give on it.
//
// It simulates a 15-minute shift at the demo sorting center (Config/demo.yaml) starting
// 2026-11-28T08:00:00Z, and writes two files.
//
// The capture (--out) is JSON Lines in sortgate's capture format, one raw device message per
// line in arrival order: {"t":…,"source":<device id>,"topic":…,"payload":<the message as sent>}.
//
// The expected outcome (--expected) is what replaying that capture with `absent_after` =
// --absent-after must produce, computed from the generator's own model of the shift:
//
//   absent_after_seconds  the `dedup.absent_after` the outcome assumes (must match the config)
//   messages              capture lines
//   tag_reads             tag events decoded from accepted messages, one per event (a Zebra
//                         event with "reads":3 counts 1 here), redelivered copies excluded
//   redelivered           exact copies of earlier Zebra messages (same eventNum): not counted again
//   ignored_events        well-formed messages that are not tag reads (Impinj antennaConnected and
//                         inventoryStatus, Zebra heartbeats)
//   rejected              rejected messages by reason (RejectReason labels), one message each
//   movements             [{epc, kind, from_zone, to_zone, at}] sorted by at, then epc:
//                           arrival    first read of an unknown or departed EPC; from_zone null
//                           move       a present EPC read in another zone; at = that read
//                           departure  the clock (largest event time so far) passed last_seen +
//                                      absent_after; at = last_seen, to_zone null. Departures
//                                      due after the capture's last event time are not emitted.
//   inventory             one row per EPC, sorted by epc: epc (upper-case hex), scheme
//                         (sgtin-96, sscc-96, grai-96, giai-96 or raw), uri (GS1 pure identity, null
//                         for raw), zone (a departed EPC keeps its last zone), status (present or
//                         departed), first_seen (first read ever), zone_since (first read in the
//                         current zone), last_seen, reads (Zebra `reads` summed, 1 per Impinj read,
//                         redeliveries excluded)
//
// Event time is the reader's timestamp in the payload; a read maps to a zone through the
// (device, antenna) read points of the config. Times are UTC RFC 3339 with nine fraction
// digits and `Z`, as EventTime.rfc3339 prints them.
//
// The same seed always gives the same bytes: randomness comes only from SplitMix64, never
// from the clock or the system.
//
// `--scenario transport` writes another scenario instead: container journeys with a manifest
// (--manifest) and the journeys the transport status must show (--expected); its files are
// documented at the top of TransportScenario.swift. The default scenario's output is unchanged.

import ArgumentParser
import Foundation
import SortgateCore

@main
struct CaptureGeneratorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sortgate-capture-gen",
        abstract: "Write the deterministic demo capture and the outcome replaying it must produce."
    )

    @Option(help: "Where to write the capture (JSON Lines).")
    var out: String

    @Option(help: "Where to write the expected outcome (default: next to --out, as NAME.expected.json).")
    var expected: String?

    @Option(help: "Seed of the scenario; the same seed gives the same files.")
    var seed: UInt64 = 20_261_128

    @Option(help: "Number of distinct tags on the shift.")
    var tags: Int = 300

    @Option(help: "Seconds without a read before a tag departs; must match `dedup.absent_after` of the config.")
    var absentAfter: Int = 30

    @Option(help: "Start of the shift: an RFC 3339 time, or 'now' (for live demos: timestamps near the wall clock).")
    var start: String = "2026-11-28T08:00:00Z"

    @Option(help: "shift (the demo shift, the default) or transport (see TransportScenario.swift).")
    var scenario: Scenario = .shift

    @Option(help: "transport: where to write the manifest CSV (default: next to --out, as NAME.manifest.csv).")
    var manifest: String?

    enum Scenario: String, ExpressibleByArgument {
        case shift, transport
    }

    /// Redelivered Zebra messages in the capture.
    static let redeliveries = 4

    func validate() throws {
        guard (40...2_000).contains(tags) else {
            throw ValidationError("--tags must be between 40 and 2000 (got \(tags))")
        }
        // Gaps inside a tag's journey are at most 12 s: a shorter absent_after would make them departures.
        guard (20...120).contains(absentAfter) else {
            throw ValidationError("--absent-after must be between 20 and 120 seconds (got \(absentAfter))")
        }
    }

    func run() throws {
        let shiftStart: Int64
        if start == "now" {
            // Whole seconds keep the generated timestamps as readable as the committed sample's.
            shiftStart = Int64(Date().timeIntervalSince1970.rounded(.down)) * 1_000_000_000
        } else {
            do {
                shiftStart = try EventTime(rfc3339: start).nanoseconds
            } catch {
                throw ValidationError("--start: \(error.description)")
            }
        }
        let absentAfterNanoseconds = Int64(absentAfter) * 1_000_000_000
        var random = SplitMix64(seed: seed)
        if scenario == .transport {
            try writeTransport(start: shiftStart, absentAfter: absentAfterNanoseconds, random: &random)
            return
        }

        var planner = ShiftPlanner(random: random, start: shiftStart, absentAfter: absentAfterNanoseconds)
        let scenario = planner.makeScenario(tagCount: tags)
        random = planner.random
        var assembler = CaptureAssembler(random: random, scenario: scenario)
        let messages = assembler.assemble(redeliveries: Self.redeliveries)
        let outcome = ExpectedOutcome(messages: messages, tags: scenario.tags, absentAfter: absentAfterNanoseconds)

        var capture = ""
        capture.reserveCapacity(messages.count * 400)
        for message in messages {
            capture += message.captureLine
            capture += "\n"
        }
        let expectedPath = expected ?? Self.defaultExpectedPath(for: out)
        try write(capture, to: out)
        try write(outcome.json(tags: scenario.tags, absentAfterSeconds: absentAfter), to: expectedPath)
        print(summary(outcome, scenario: scenario, captureBytes: capture.utf8.count, expectedPath: expectedPath))
    }

    private func writeTransport(start: Int64, absentAfter: Int64, random: inout SplitMix64) throws {
        let scenario = TransportScenario(start: start, absentAfter: absentAfter)
        let lines = scenario.captureLines(random: &random)
        let base = out.hasSuffix(".jsonl") ? String(out.dropLast(6)) : out
        let manifestPath = manifest ?? base + ".manifest.csv"
        let expectedPath = expected ?? Self.defaultExpectedPath(for: out)
        try write(lines.joined(separator: "\n") + "\n", to: out)
        try write(scenario.manifestCSV, to: manifestPath)
        try write(scenario.expectedJSON, to: expectedPath)
        print(
            "wrote \(out) (\(lines.count) messages), \(manifestPath) and \(expectedPath): "
                + "\(scenario.containers.count) containers, last event at second \(scenario.lastEventSecond)"
        )
    }

    static func defaultExpectedPath(for capture: String) -> String {
        let base = capture.hasSuffix(".jsonl") ? String(capture.dropLast(6)) : capture
        return base + ".expected.json"
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ValidationError("cannot write '\(path)': \(error.localizedDescription)")
        }
    }

    private func summary(_ outcome: ExpectedOutcome, scenario: ShiftScenario, captureBytes: Int, expectedPath: String)
        -> String
    {
        func count(_ kind: MovementKind) -> Int { outcome.movements.filter { $0.kind == kind }.count }
        let present = outcome.inventory.filter { $0.status == .present }.count
        let rejected = outcome.rejected.keys.sorted().map { "\($0.rawValue) \(outcome.rejected[$0]!)" }
        return """
            wrote \(out) (\(outcome.messages) messages, \(captureBytes) bytes) and \(expectedPath)
            seed \(seed), \(scenario.tags.count) tags, absent_after \(absentAfter) s, \
            last event \(EventTime(nanoseconds: outcome.lastEventTime).rfc3339)
            tag events \(outcome.tagReads), ignored \(outcome.ignoredEvents), redelivered \(outcome.redelivered), \
            rejected: \(rejected.joined(separator: ", "))
            movements: \(count(.arrival)) arrivals, \(count(.move)) moves, \(count(.departure)) departures
            inventory: \(present) present, \(outcome.inventory.count - present) departed
            """
    }
}
