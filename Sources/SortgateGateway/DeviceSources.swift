public import Logging
public import ServiceLifecycle
public import SortgateConfig
public import SortgateCore
public import SortgateIngest
import SortgateMQTT

/// The inputs of a live site: one `MQTTSource` per broker with MQTT devices and one
/// `ModbusPoller` for every Modbus device (a thread per connection inside), all writing raw
/// messages into one event ring under the device numbering of `SiteTopology`.
///
/// `Gateway` runs them in front of the pipeline; `sortgate record` runs them in front of a
/// capture writer alone.
public struct DeviceSources: Sendable {
    public let mqtt: [MQTTSource]
    public let modbus: ModbusPoller?

    /// Why the sources of a site could not be set up: a config problem (a broker name not under
    /// `brokers`, an unreadable password file), so start-up stops.
    public struct SetupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The sources of `config`, writing into `ring` with the device ids of `topology`.
    public init(config: SiteConfig, topology: SiteTopology, ring: EventRing, logger: Logger) throws(SetupError) {
        do {
            mqtt = try MQTTSource.make(config: config, topology: topology, ring: ring, logger: logger)
        } catch {
            throw SetupError(description: "\(error)")
        }
        let hasModbus = config.devices.contains { if case .modbus = $0.connection { true } else { false } }
        // Modbus polls are few and small: they always wait for room in the ring.
        modbus = hasModbus ? ModbusPoller(config: config, topology: topology, logger: logger) { poll in
            ring.push(poll: poll)
        } : nil
    }

    /// The services to run, in start order: MQTT first, then Modbus (stopped in reverse).
    public var services: [ServiceGroupConfiguration.ServiceConfiguration] {
        mqtt.map { .init(service: $0) } + (modbus.map { [.init(service: $0)] } ?? [])
    }

    /// Connected brokers and all brokers.
    public var brokersConnected: (connected: Int, total: Int) {
        (mqtt.filter(\.isConnected).count, mqtt.count)
    }

    /// True when every broker is connected and has granted every subscription of its devices.
    public var isSubscribed: Bool {
        mqtt.allSatisfy { $0.isConnected && $0.statistics.subscriptionsGranted >= $0.subscriptionCount }
    }
}
