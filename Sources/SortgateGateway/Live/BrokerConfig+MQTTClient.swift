import Foundation
public import SortgateMQTT
public import SortgateConfig
import SortgateIngest

extension BrokerConfig {
    /// Why a broker's client could not be configured (its password file is unreadable).
    public struct ClientSetupError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The MQTT client configuration for this broker: its address, session, keepalive, protocol,
    /// credentials (the password read from `password_file`, never from the config) and TLS.
    ///
    /// - Parameters:
    ///   - clientID: overrides the broker's `client_id` (the alert route uses its own).
    ///   - cleanSession: overrides the broker's `clean_session`.
    public func clientConfiguration(
        clientID: String? = nil,
        cleanSession: Bool? = nil,
        subscriptions: [MQTTClient.Subscription] = []
    ) throws(ClientSetupError) -> MQTTClient.Configuration {
        var password: String?
        if let file = passwordFile {
            do {
                password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .newlines)
            } catch {
                throw ClientSetupError(
                    description: "broker '\(name)': cannot read password_file '\(file)': "
                        + "\((error as NSError).localizedDescription); create it (one line, mode 600)"
                )
            }
        }
        let version: MQTTClient.ProtocolVersion =
            switch protocolVersion {
            case .mqttv31: .v31
            case .mqttv311: .v311
            case .mqttv5: .v5
            }
        return MQTTClient.Configuration(
            host: host,
            port: port,
            clientID: clientID ?? self.clientID,
            cleanSession: cleanSession ?? self.cleanSession,
            keepalive: keepalive,
            protocolVersion: version,
            username: username,
            password: password,
            tls: tls.map { MQTTClient.TLS(caFile: $0.ca, certFile: $0.cert, keyFile: $0.key) },
            subscriptions: subscriptions
        )
    }
}
