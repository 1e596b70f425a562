import ArgumentParser
import SortgateConfig
import SortgateIngest
import SortgateGateway

/// `sortgate check-config F`: validates a site config and the profiles it names.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a site config and the device profiles it names.",
        discussion: "Exits 0 when valid; otherwise prints every problem as file:line:column: problem and exits 2."
    )

    @Argument(help: "The site config to check.")
    var file: String?

    @Option(name: .long, help: "The site config to check (same as the argument).")
    var config: String?

    func validate() throws {
        if file == nil && config == nil { throw ValidationError("name the config file to check") }
        if let file, let config, file != config {
            throw ValidationError("give the config file once, as an argument or with --config")
        }
    }

    func run() throws {
        let path = file ?? config!
        let site = try loadConfigOrExit(path)
        let mqtt = site.devices.filter { if case .mqtt = $0.connection { true } else { false } }.count
        print(
            "\(path): OK — site '\(site.site)', \(site.zones.count) zones, \(site.devices.count) devices "
                + "(\(mqtt) MQTT, \(site.devices.count - mqtt) Modbus), \(site.brokers.count) brokers"
        )
    }
}
