import SortgateConfig
import SortgateTestSupport
import SortgateIngest
import Testing

@Suite("Read request planner")
struct ModbusReadPlanTests {
    private func register(_ name: String, _ table: RegisterTable, _ address: Int, _ type: RegisterType = .uint16)
        -> RegisterSpec
    {
        RegisterSpec(name: name, table: table, address: address, type: type)
    }

    private func shape(_ plan: ModbusReadPlan) -> [String] {
        plan.requests.map { "\($0.table.rawValue) \($0.address)+\($0.count) \($0.registers.map(\.name))" }
    }

    @Test("the XY-MD02 map is one request")
    func xyMD02() {
        let plan = ModbusReadPlan(registers: xyMD02Profile.registers)
        #expect(shape(plan) == ["input 1+2 [\"temperature\", \"humidity\"]"])
    }

    @Test("gaps of up to 8 registers are read through; a gap of 9 starts a new request")
    func gapRule() {
        let plan = ModbusReadPlan(registers: [
            register("a", .holding, 0, .float32),  // 0-1
            register("b", .holding, 10),  // gap 8 (2...9): merged
            register("c", .holding, 20, .int32),  // gap 9 (11...19): new request
            register("d", .holding, 22),  // touching: merged
        ])
        #expect(shape(plan) == ["holding 0+11 [\"a\", \"b\"]", "holding 20+3 [\"c\", \"d\"]"])
        let strict = ModbusReadPlan(registers: [register("a", .holding, 0), register("b", .holding, 2)], maximumGap: 0)
        #expect(shape(strict) == ["holding 0+1 [\"a\"]", "holding 2+1 [\"b\"]"])
    }

    @Test("tables are planned apart, in the order the profile names them, each sorted by address")
    func tablesApart() {
        let plan = ModbusReadPlan(registers: [
            register("h2", .holding, 5),
            register("i1", .input, 1),
            register("h1", .holding, 1),
            register("door", .coil, 7),
            register("alarm", .discrete, 0),
            register("light", .coil, 3),
            register("i2", .input, 2),
        ])
        #expect(
            shape(plan) == [
                "holding 1+5 [\"h1\", \"h2\"]",
                "input 1+2 [\"i1\", \"i2\"]",
                "coil 3+5 [\"light\", \"door\"]",
                "discrete 0+1 [\"alarm\"]",
            ]
        )
    }

    @Test("no request exceeds 125 registers or 2000 bits")
    func limits() {
        let registers = (0..<200).map { register("r\($0)", .input, $0) }
        let plan = ModbusReadPlan(registers: registers)
        #expect(plan.requests.map(\.address) == [0, 125])
        #expect(plan.requests.map(\.count) == [125, 75])
        // A 32-bit value that would straddle the limit moves to the next request whole.
        let straddling = ModbusReadPlan(
            registers: (0..<124).map { register("r\($0)", .holding, $0) } + [register("y", .holding, 124, .float32)]
        )
        #expect(straddling.requests.map(\.address) == [0, 124])
        #expect(straddling.requests.map(\.count) == [124, 2])
        let bits = ModbusReadPlan(registers: (0..<2500).map { register("b\($0)", .coil, $0) })
        #expect(bits.requests.map(\.count) == [2000, 500])
    }

    @Test("overlapping specs share their registers")
    func overlapping() {
        let plan = ModbusReadPlan(registers: [
            register("word", .holding, 10, .uint32),
            register("low", .holding, 11),
        ])
        #expect(shape(plan) == ["holding 10+2 [\"word\", \"low\"]"])
    }
}
