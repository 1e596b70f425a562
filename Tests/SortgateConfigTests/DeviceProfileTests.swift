import Foundation
import SortgateConfig

import Testing

@Suite("Device profiles")
struct DeviceProfileTests {
    /// Loads `yaml` as `profile.yaml` in a temporary folder; the diagnostics with the folder stripped.
    func problems(_ yaml: String) throws -> [String] {
        try ConfigFixtures.withFolder(["profile.yaml": yaml]) { folder in
            do throws(ConfigError) {
                _ = try DeviceProfile.load(path: folder + "/profile.yaml")
                return []
            } catch {
                return error.diagnostics.map { $0.description.replacingOccurrences(of: folder + "/", with: "") }
            }
        }
    }

    @Test("a Modbus temperature sensor: registers with defaults and explicit values")
    func modbusProfile() throws {
        let path = ConfigFixtures.root + "/valid/Devices/xy-md02.yaml"
        let profile = try DeviceProfile.load(path: path)
        #expect(
            profile
                == DeviceProfile(
                    file: path,
                    model: "XY-MD02",
                    vendor: nil,
                    kind: .temperatureSensor,
                    protocolKind: .modbus,
                    payload: nil,
                    registers: [
                        RegisterSpec(
                            name: "temperature",
                            table: .input,
                            address: 1,
                            type: .int16,
                            wordOrder: .big,
                            byteOrder: .big,
                            scale: 0.1,
                            offset: 0,
                            unit: "celsius"
                        ),
                        RegisterSpec(
                            name: "humidity",
                            table: .input,
                            address: 2,
                            type: .int16,
                            scale: 0.1,
                            unit: "percent"
                        ),
                    ]
                )
        )
        #expect(profile.temperatureRegister?.address == 1)
        #expect(try SiteConfig.loadProfile(path: path) == profile)
    }

    @Test("built-in MQTT payload formats")
    func builtInPayloads() throws {
        let impinj = try DeviceProfile.load(path: ConfigFixtures.root + "/valid/Devices/impinj-r700.yaml")
        #expect(impinj.model == "Impinj R700")
        #expect(impinj.vendor == "Impinj")
        #expect(impinj.kind == .rfidReader)
        #expect(impinj.protocolKind == .mqtt)
        #expect(impinj.payload == .impinjIoT)
        #expect(impinj.registers.isEmpty)
        let zebra = try DeviceProfile.load(path: ConfigFixtures.root + "/Devices/zebra-fx9600.yaml")
        #expect(zebra.payload == .zebraIoT)
    }

    @Test("a JSON pointer mapping with every field")
    func jsonPayload() throws {
        let profile = try DeviceProfile.load(path: ConfigFixtures.root + "/shipped/acme-json.yaml")
        #expect(
            profile.payload
                == .json(
                    JSONFieldMapping(
                        events: "/reads",
                        epc: "/epc",
                        epcEncoding: .base64,
                        antenna: "/ant",
                        rssi: "/rssi",
                        rssiUnit: .centiDbm,
                        time: "/ts",
                        timeUnit: .microseconds,
                        reads: "/count",
                        eventNumber: "/seq"
                    )
                )
        )
    }

    @Test("a JSON mapping with only the EPC takes the defaults")
    func jsonDefaults() throws {
        let profile = try ConfigFixtures.withFolder(
            ["p.yaml": "model: M\nkind: rfid-reader\nprotocol: mqtt\npayload: {format: json, epc: /tag/epc}\n"]
        ) { folder in
            try DeviceProfile.load(path: folder + "/p.yaml")
        }
        #expect(profile.payload == .json(JSONFieldMapping(epc: "/tag/epc")))
    }

    @Test("coils default to uint16; 32-bit types with word and byte order")
    func registerTypes() throws {
        let yaml = """
            model: M
            kind: temperature-sensor
            protocol: modbus
            registers:
              - name: temperature
                table: holding
                address: 65534
                type: float32
                word_order: little
                byte_order: little
                unit: fahrenheit
              - {name: door, table: coil, address: 0}
              - {name: alarm, table: discrete, address: 3, type: uint16, offset: -1}
            """
        let profile = try ConfigFixtures.withFolder(["p.yaml": yaml]) { folder in
            try DeviceProfile.load(path: folder + "/p.yaml")
        }
        #expect(
            profile.registers == [
                RegisterSpec(
                    name: "temperature",
                    table: .holding,
                    address: 65_534,
                    type: .float32,
                    wordOrder: .little,
                    byteOrder: .little,
                    unit: "fahrenheit"
                ),
                RegisterSpec(name: "door", table: .coil, address: 0, type: .uint16),
                RegisterSpec(name: "alarm", table: .discrete, address: 3, type: .uint16, offset: -1),
            ]
        )
    }

    @Test("missing and unknown keys, wrong kinds")
    func keys() throws {
        let problems = try problems(
            """
            modle: Impinj R700
            kind: rfid reader
            protocol: mqtt
            payload: impinj
            """
        )
        #expect(
            problems == [
                "profile.yaml:1:1: unknown key 'modle' at the top level; did you mean 'model'?",
                "profile.yaml:2:7: kind: expected rfid-reader or temperature-sensor, got \"rfid reader\"; "
                    + "did you mean 'rfid-reader'?",
                "profile.yaml:4:10: payload: expected impinj-iot, zebra-iot or a mapping with format: json, "
                    + "got \"impinj\"",
            ]
        )
    }

    @Test("payload and registers on the wrong protocol; temperature sensors over MQTT")
    func wrongProtocolKeys() throws {
        #expect(
            try problems(
                """
                model: M
                kind: temperature-sensor
                protocol: mqtt
                payload: zebra-iot
                registers: []
                """
            ) == [
                "profile.yaml:2:7: kind: temperature sensors are read over modbus; the MQTT payload formats decode tag "
                    + "reads only",
                "profile.yaml:5:1: registers: only modbus profiles have registers; an mqtt profile decodes messages "
                    + "with payload",
            ]
        )
        #expect(
            try problems(
                """
                model: M
                kind: rfid-reader
                protocol: modbus
                payload: impinj-iot
                """
            ) == [
                "profile.yaml:1:1: missing key 'registers' (the list of registers to poll)",
                "profile.yaml:4:1: payload: only mqtt profiles have a payload; a modbus profile lists its registers",
            ]
        )
    }

    @Test("register problems, each at its value")
    func registerProblems() throws {
        let problems = try problems(
            """
            model: M
            kind: temperature-sensor
            protocol: modbus
            registers:
              - {name: temp, table: input, address: 1, type: int16}
              - {name: humidity, table: inputs, address: 65536, type: int64, scale: 0}
              - {name: humidity, table: holding, address: 65535, type: uint32, word_order: middle}
              - {name: door, table: coil, address: 1, type: int32}
            """
        )
        #expect(
            problems == [
                "profile.yaml:5:3: registers: a temperature-sensor profile needs a register named 'temperature' "
                    + "(the one that feeds readings)",
                "profile.yaml:6:29: registers[1].table: expected coil, discrete, input or holding, got \"inputs\"; "
                    + "did you mean 'input'?",
                "profile.yaml:6:46: registers[1].address: expected a 0-based address from 0 to 65535, got 65536",
                "profile.yaml:6:59: registers[1].type: expected int16, uint16, int32, uint32 or float32, got "
                    + "\"int64\"; "
                    + "did you mean 'int16'?",
                "profile.yaml:6:73: registers[1].scale: a scale of 0 makes every reading 0; use 1 for raw values",
                "profile.yaml:7:12: registers[2].name: register 'humidity' is already defined at line 6; "
                    + "give each register its own name",
                "profile.yaml:7:47: registers[2].address: a uint32 spans 2 registers, so its address is at most 65534, "
                    + "got 65535",
                "profile.yaml:7:80: registers[2].word_order: expected big or little, got \"middle\"",
                "profile.yaml:8:49: registers[3].type: coils and discrete inputs are single bits read as 0 or 1; "
                    + "leave type out or write uint16",
            ]
        )
    }

    @Test("the temperature register needs a unit of celsius or fahrenheit")
    func temperatureUnit() throws {
        let problems = try problems(
            """
            model: M
            kind: temperature-sensor
            protocol: modbus
            registers:
              - {name: temperature, table: input, address: 1, type: int16}
              - {name: temperature2, table: input, address: 2, type: int16, unit: kelvin}
            """
        )
        #expect(problems == ["profile.yaml:5:5: registers[0]: missing key 'unit' (celsius or fahrenheit)"])
    }

    @Test("JSON payload mapping problems")
    func payloadMappingProblems() throws {
        let problems = try problems(
            """
            model: M
            kind: rfid-reader
            protocol: mqtt
            payload:
              format: json
              epc: /epc~2
              antena: /ant
              epc_encoding: hexadecimal
            """
        )
        #expect(
            problems == [
                "profile.yaml:6:8: payload.epc: invalid JSON pointer \"/epc~2\": '~' must be followed by 0 (for '~') "
                    + "or 1 (for '/')",
                "profile.yaml:7:3: unknown key 'antena' in payload; did you mean 'antenna'?",
                "profile.yaml:8:17: payload.epc_encoding: expected hex or base64, got \"hexadecimal\"",
            ]
        )
    }
}
