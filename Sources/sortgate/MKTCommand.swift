import ArgumentParser
import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate mkt --config F (--sensor S | --zone Z | --container EPC) [--site S] [--window 24h] [--until T]`.
struct MKTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mkt",
        abstract: "Mean kinetic temperature (USP <1160>, ΔH/R = 10 000 K) of a sensor, zone or container.",
        discussion: """
            Computed from the stored readings over the rolling window ending at --until (default: \
            the last reading). Readings are weighted by the time until the next one (capped at the \
            class's offline_after, 10 min by default), as readings come at irregular intervals. On a \
            hub, a sensor or zone whose readings come from two sites needs --site.
            """
    )

    @Option(name: .long, help: "The site config, or a hub's (`database: {postgres: URL}`).")
    var config: String

    @Option(name: .long, help: "A temperature sensor (device id).")
    var sensor: String?

    @Option(name: .long, help: "A zone: all of its sensors.")
    var zone: String?

    @Option(name: .long, help: "A container (upper-case hex EPC): the readings of the zones it was in.")
    var container: String?

    @OptionGroup var sites: SiteOption

    @Option(name: .long, help: "The window, e.g. 24h or 30d (default: the class's mkt_window, else 24h).")
    var window: String?

    @Option(name: .long, help: "End of the window (RFC 3339); default the last reading.")
    var until: String?

    @Option(name: .long, help: "text or json.")
    var format: String = "text"

    func validate() throws {
        guard [sensor, zone, container].compactMap({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --sensor, --zone or --container")
        }
        if let window, (Duration(configText: window) ?? .zero) <= .zero {
            throw ValidationError("--window must be a duration such as 24h or 30d, got '\(window)'")
        }
        if let until, (try? EventTime(rfc3339: until)) == nil {
            throw ValidationError("--until must be an RFC 3339 time such as 2026-11-28T08:00:00Z, got '\(until)'")
        }
        guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
    }

    func run() async throws {
        let site = try loadConfigOrExit(config)
        let what =
            if let sensor { "sensor \(sensor)" } else if let zone { "zone \(zone)" } else { "container \(container!)" }
        let readings: [(zone: String?, at: String, celsius: Double)] = try await withFactReader(site) {
            [sensor, zone, container, sites] database in
            let scope = try await sites.scope(site, database)
            if let sensor {
                try await sites.requireOneSite(sensor: sensor, site, database)
                return try await database.readings(sensor: sensor, site: scope).map { ($0.zone, $0.at, $0.celsius) }
            } else if let zone {
                try await sites.requireOneSite(zone: zone, site, database)
                return try await database.readings(zone: zone, site: scope).map { ($0.zone, $0.at, $0.celsius) }
            } else {
                return try await database.containerReadings(container: container!, site: scope)
                    .map { ($0.zone, $0.at, $0.celsius) }
            }
        }
        let samples = readings.compactMap { Self.sample($0.at, $0.celsius) }
        guard let last = samples.map(\.time).max() else {
            printError("sortgate: no readings for \(what)")
            throw ExitCode(1)
        }
        let end = until.flatMap { try? EventTime(rfc3339: $0) } ?? last
        let offlineAfter = site.coldChain.classes.values.map(\.offlineAfter).max() ?? .seconds(600)
        let windowLength =
            window.flatMap { Duration(configText: $0) } ?? classWindow(site, sensorZone: readings.last?.zone)
            ?? .seconds(86_400)
        var mkt = MeanKineticTemperature(
            window: windowLength,
            weighting: .timeWeighted(maximumHold: offlineAfter)
        )
        for sample in samples.sorted(by: { $0.time < $1.time }) where sample.time <= end {
            mkt.add(sample.celsius, at: sample.time)
        }
        mkt.advance(to: end)
        guard let celsius = mkt.celsius else {
            printError("sortgate: no readings for \(what) in the \(window) before \(end.rfc3339)")
            throw ExitCode(1)
        }
        if format == "json" {
            let object: [String: Any] = [
                "subject": what, "window_seconds": windowLength.components.seconds, "until": end.rfc3339,
                "mkt_celsius": (celsius * 100).rounded() / 100,
                "readings": mkt.sampleCount,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(
                String(
                    format: "MKT %.2f °C for %@ over %@ ending %@ (%d readings)",
                    celsius,
                    what,
                    window ?? Self.describe(windowLength),
                    end.rfc3339,
                    mkt.sampleCount
                )
            )
        }
    }

    /// The `mkt_window` of the class of the zone asked for, or of the zone of the sensor's latest
    /// reading (`sensorZone`: a hub's config names no devices, its readings name their zone).
    private func classWindow(_ site: SiteConfig, sensorZone: String?) -> Duration? {
        let zoneName = sensor == nil ? zone : sensorZone
        guard let zoneName, let className = site.zones.first(where: { $0.name == zoneName })?.temperatureClass else {
            return nil
        }
        return site.coldChain.classes[className]?.mktWindow
    }

    /// A whole number of days, hours, minutes or seconds, as the config writes durations.
    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        for (unit, length) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where seconds % length == 0 {
            return "\(seconds / length)\(unit)"
        }
        return "\(seconds)s"
    }

    private static func sample(_ at: String, _ celsius: Double) -> (time: EventTime, celsius: Double)? {
        (try? EventTime(rfc3339: at)).map { ($0, celsius) }
    }
}
