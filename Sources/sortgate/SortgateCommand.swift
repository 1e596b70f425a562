import ArgumentParser

/// The `sortgate` command line: every subcommand takes `--config FILE`.
@main
struct SortgateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sortgate",
        abstract: "Ingestion gateway of an automated sorting center: RFID and cold-chain sensors in, "
            + "inventory and transport status out.",
        subcommands: [
            RunCommand.self, ServeCommand.self, ReplayCommand.self, RecordCommand.self, CheckConfigCommand.self, InventoryCommand.self,
            ReadingsCommand.self, AlertsCommand.self, MKTCommand.self, ContainerCommand.self, TransportCommand.self,
            ManifestCommand.self, ExportCommand.self, CentralCommand.self,
        ]
    )
}
