import Testing

@testable import SortgateCore

@Suite("EPCTable")
struct EPCTableTests {
    /// SGTIN-96-like EPCs that differ only in serial bits, as a real population does.
    func epc(_ serial: Int) -> EPC {
        EPC(w0: 0x3034_257B_F719_4E40, w1: UInt64(serial) << 32, bitCount: 96)
    }

    @Test("Inserted keys are found in their slots; absent keys are not")
    func insertAndFind() {
        var table = EPCTable<Int>(minimumCapacity: 4)
        for serial in 0..<10_000 {
            let slot = table.insert(epc(serial), serial * 3)
            #expect(slot == serial)
        }
        #expect(table.count == 10_000)
        for serial in stride(from: 0, to: 10_000, by: 97) {
            let slot = table.slot(of: epc(serial))
            #expect(slot == serial)
            #expect(slot.map { table[slot: $0] } == serial * 3)
        }
        #expect(table.slot(of: epc(10_000)) == nil)
        #expect(table.slot(of: EPC(w0: 0x3034_257B_F719_4E40, w1: 0, bitCount: 128)) != 0)
        // Same bits, other length: a different key.
        #expect(table.slot(of: EPC(w0: 0x3034_257B_F719_4E40, w1: 5 << 32, bitCount: 128)) == nil)
    }

    @Test("Removing keys keeps every other key reachable, and their slots are reused")
    func removeAndReuse() {
        var table = EPCTable<Int>(minimumCapacity: 8)
        for serial in 0..<5_000 { table.insert(epc(serial), serial) }
        // Remove every third key: clusters get holes that backward shifting must close.
        for serial in stride(from: 0, to: 5_000, by: 3) {
            table.remove(slot: table.slot(of: epc(serial))!)
        }
        #expect(table.count == 5_000 - 1_667)
        for serial in 0..<5_000 {
            let slot = table.slot(of: epc(serial))
            if serial % 3 == 0 {
                #expect(slot == nil, "serial \(serial) was removed")
            } else {
                #expect(slot.map { table[slot: $0] } == serial, "serial \(serial) must survive the removals")
            }
        }
        // New keys take the freed slots before the arrays grow.
        let before = table.pairs.count
        for serial in 5_000..<6_000 { table.insert(epc(serial), serial) }
        #expect(table.pairs.count == before)
        #expect(table.count == 5_000 - 1_667 + 1_000)
        #expect(table.slot(of: epc(5_500)).map { table[slot: $0] } == 5_500)
    }

    @Test("Seeded random inserts and removals agree with a Dictionary")
    func agreesWithDictionary() {
        var table = EPCTable<UInt64>(minimumCapacity: 1)
        var model: [EPC: UInt64] = [:]
        var state: UInt64 = 0x1234_5678
        for step in 0..<40_000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let key = epc(Int(state >> 52))  // 4096 distinct keys: many collisions of fate
            if state & 0x3 == 0, let slot = table.slot(of: key) {
                table.remove(slot: slot)
                model[key] = nil
            } else if let slot = table.slot(of: key) {
                table[slot: slot] &+= 1
                model[key]! &+= 1
            } else {
                table.insert(key, UInt64(step))
                model[key] = UInt64(step)
            }
        }
        #expect(table.count == model.count)
        for (key, value) in model {
            #expect(table.slot(of: key).map { table[slot: $0] } == value)
        }
    }
}
