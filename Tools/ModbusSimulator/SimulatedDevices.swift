import SortgateModbus
import SortgateModbusServer

/// Answers requests as the script's units would at the current time since start.
///
/// Script time runs `speed` times faster than real time (so a 10-minute excursion can be seen in
/// one minute); reply delays (`slow`) are real time, since they test the master's timeouts.
struct SimulatedDevices: Sendable {
    let units: [Int: SimulatedUnit]
    let start: ContinuousClock.Instant
    let speed: Double

    init(script: SimulatorScript, start: ContinuousClock.Instant = .now, speed: Double = 1) {
        self.units = Dictionary(uniqueKeysWithValues: script.units.map { ($0.unit, $0) })
        self.start = start
        self.speed = speed
    }

    /// Script time now.
    var now: Duration {
        start.duration(to: .now) * speed
    }

    /// The answer to `request` at script time `time`: silence for an unknown or offline unit, then
    /// the first matching exception rule, then the registers (exception 0x02 for an address the unit
    /// lacks), delayed when the unit is slow.
    func respond(to request: ModbusTCPServer.Request, at time: Duration) -> ModbusTCPServer.Response {
        guard let unit = units[request.unit], !unit.offline.contains(where: { $0.contains(time) }) else {
            return .noAnswer
        }
        var response: ModbusTCPServer.Response
        if let rule = unit.exceptions.first(where: { $0.matches(request, at: time) }) {
            response = .exception(rule.code)
        } else if let table = request.table {
            if !(1...table.maximumReadCount).contains(request.count) {
                response = .exception(.illegalDataValue)
            } else if let values = unit.registerMap(at: time).values(
                table,
                address: request.address,
                count: request.count
            ) {
                response = .values(values)
            } else {
                response = .exception(.illegalDataAddress)
            }
        } else {
            response = .exception(.illegalFunction)
        }
        if let slow = unit.slow.first(where: { $0.window.contains(time) }) {
            response = .delayed(slow.delay, response)
        }
        return response
    }
}
