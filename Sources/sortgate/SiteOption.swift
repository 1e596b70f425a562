import ArgumentParser
import SortgateConfig
import SortgateStore

/// `--site NAME` of the reading commands: on a hub's PostgreSQL (many sites' rows, where a sensor or
/// zone of the same name at two sites would otherwise be one series) only that site's rows.
struct SiteOption: ParsableArguments {
    @Option(name: .long, help: "On a hub: only this site's rows (a site's own database holds only its own).")
    var site: String?

    /// The filter to give the queries: on a hub the site asked for, which must have shipped there;
    /// on a site's own database none (its own name is accepted, any other refused).
    func scope(_ config: SiteConfig, _ database: any FactReader) async throws -> String? {
        guard let site else { return nil }
        guard config.isHub else {
            guard site == config.site else {
                throw ListingRefusal(
                    "--site '\(site)': this config's database is site '\(config.site)''s own, which holds no other "
                        + "site; --site chooses among the sites of a hub's database (database: postgres)"
                )
            }
            return nil
        }
        let sites = try await database.sites()
        guard sites.contains(site) else {
            throw ListingRefusal(
                "no site '\(site)' has shipped to the hub; sites: "
                    + (sites.isEmpty ? "none yet" : sites.joined(separator: ", "))
            )
        }
        return site
    }

    /// On a hub without `--site`, refuses a `sensor` or `zone` whose readings come from more than one
    /// site, naming them: mixed, they would be one series of two places.
    func requireOneSite(sensor: String? = nil, zone: String? = nil, _ config: SiteConfig, _ database: any FactReader)
        async throws
    {
        guard site == nil, config.isHub else { return }
        let sites = try await database.readingSites(sensor: sensor, zone: zone)
        guard sites.count > 1 else { return }
        let what = sensor.map { "sensor '\($0)'" } ?? "zone '\(zone ?? "")'"
        throw ListingRefusal(
            "\(what) has readings from \(sites.count) sites (\(sites.joined(separator: ", "))); "
                + "give --site \(sites.joined(separator: " or --site ")) rather than mix them"
        )
    }
}

/// A reading command's refusal of what it was asked: printed as `sortgate: …`, exit status 2.
struct ListingRefusal: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

extension SiteConfig {
    /// Whether the config reads a hub's PostgreSQL (rows of many sites) rather than a site's SQLite.
    var isHub: Bool {
        if case .postgres = database { return true }
        return false
    }
}
