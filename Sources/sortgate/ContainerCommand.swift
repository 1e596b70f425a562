import ArgumentParser
import Foundation
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateGateway
import SortgateStore

/// `sortgate container EPC --config F [--site S]`: one container's cold-chain record, from the database.
struct ContainerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "container",
        abstract: "Where a container was, the temperatures it had, time out of range, MKT and its alerts.",
        discussion: """
            The container's class is the class of the first zone with a class it stayed in. A reading \
            counts for the time until the next reading of its stay (at most the class's offline_after). \
            On a hub each movement says the site that read it; --site keeps that site's part of the record.
            """
    )

    @Argument(help: "The container's EPC (hex).")
    var epc: String

    @Option(name: .long, help: "The site config, or a hub's (`database: {postgres: URL}`).")
    var config: String

    @OptionGroup var sites: SiteOption

    func run() async throws {
        let site = try loadConfigOrExit(config)
        let container = epc.uppercased()
        let (movements, readings, alerts) = try await withFactReader(site) { [sites] database in
            let scope = try await sites.scope(site, database)
            return (
                try await database.movements(epc: container, site: scope),
                try await database.containerReadings(container: container, site: scope),
                try await database.alerts(site: scope).filter { $0.container == container }
            )
        }
        guard !movements.isEmpty else {
            printError("sortgate: no movements of \(container) in the database")
            throw ExitCode(1)
        }
        print("container \(container)")
        for movement in movements {
            print(
                "  \(movement.at)  \(movement.kind)  \(movement.fromZone ?? "-") → \(movement.toZone ?? "-")"
                    + (site.isHub ? "  at \(movement.site ?? "-")" : "")
            )
        }
        let zoneClasses = Dictionary(uniqueKeysWithValues: site.zones.map { ($0.name, $0.temperatureClass) })
        let className = readings.lazy.compactMap { zoneClasses[$0.zone] ?? nil }.first
        let limits = className.flatMap { site.coldChain.classes[$0] }
        guard !readings.isEmpty else {
            print("no temperature readings in the zones it stayed in")
            return
        }
        let temperatures = readings.map(\.celsius)
        var outOfRange = Duration.zero
        var mkt = MeanKineticTemperature(
            window: .seconds(Int64(100 * 365 * 86_400)),
            weighting: .timeWeighted(maximumHold: limits?.offlineAfter ?? .seconds(600))
        )
        let hold = limits?.offlineAfter ?? .seconds(600)
        for (index, reading) in readings.enumerated() {
            guard let time = try? EventTime(rfc3339: reading.at) else { continue }
            mkt.add(reading.celsius, at: time)
            guard let limits, index + 1 < readings.count, readings[index + 1].zoneSince == reading.zoneSince,
                let next = try? EventTime(rfc3339: readings[index + 1].at)
            else { continue }
            let outside =
                (limits.min.map { reading.celsius < $0 } ?? false) || (limits.max.map { reading.celsius > $0 } ?? false)
            if outside { outOfRange += min(next - time, hold) }
        }
        print(
            String(
                format: "readings %d, min %.2f °C, max %.2f °C, MKT %.2f °C",
                readings.count,
                temperatures.min()!,
                temperatures.max()!,
                mkt.celsius ?? .nan
            )
        )
        if let className {
            print(
                "class \(className): time out of range \(outOfRange.components.seconds / 60) min \(outOfRange.components.seconds % 60) s"
            )
        }
        for alert in alerts {
            print(
                "  alert \(alert.id) \(alert.kind) \(alert.status): started \(alert.startedAt), confirmed \(alert.confirmedAt)"
                    + (alert.clearedAt.map { ", cleared \($0)" } ?? "")
                    + (alert.peakCelsius.map { String(format: ", peak %.2f °C", $0) } ?? "")
            )
        }
    }
}
