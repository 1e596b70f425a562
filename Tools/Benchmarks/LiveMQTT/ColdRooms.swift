import Foundation
import Logging
import SortgateModbus
import SortgateModbusServer
import Synchronization

/// The cold rooms of the steady phase: `sensors` XY-MD02-style transmitters (input register 1 =
/// °C × 10, register 2 = %RH × 10) served by libmodbus' server in this (parent) process, each
/// alternating 2 s at 12 °C and 2 s at 5 °C (chilled: 2–8 °C), one sensor a second after the
/// other. With an alarm delay of 1 s each sensor raises and clears an excursion every 4 s, and so
/// does its zone.
final class ColdRooms: @unchecked Sendable {
    static let sensors = 4

    let port: Int
    private let server: ModbusTCPServer
    private let stopping = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)

    init() throws {
        var logger = Logger(label: "bench-cold-rooms")
        logger.logLevel = .warning
        var maps: [Int: ModbusRegisterMap] = [:]
        for unit in 1...Self.sensors {
            var map = ModbusRegisterMap()
            map.set(.inputRegisters, address: 1, values: [50, 500])
            maps[unit] = map
        }
        server = try ModbusTCPServer(registerMaps: maps, logger: logger)
        port = server.port
        let start = monotonicNanoseconds()
        Thread.detachNewThread { [self] in
            while !stopping.load(ordering: .relaxed) {
                let elapsed = monotonicNanoseconds() - start
                for unit in 1...Self.sensors {
                    let phase = (elapsed + Int64(unit - 1) * 1_000_000_000) % 4_000_000_000
                    let tenths: UInt16 = phase < 2_000_000_000 ? 120 : 50
                    server.updateRegisterMap(unit: unit) { $0.set(.inputRegisters, address: 1, values: [tenths, 500]) }
                }
                usleep(10_000)
            }
            stopped.signal()
        }
    }

    func stop() {
        stopping.store(true, ordering: .relaxed)
        stopped.wait()
        server.stop()
    }
}
