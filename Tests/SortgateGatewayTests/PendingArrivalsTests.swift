import Testing

@testable import SortgateGateway

@Suite("PendingArrivals")
struct PendingArrivalsTests {
    @Test("take hands over what was appended, in order, and leaves it empty")
    func takeHandsOver() {
        var pending = PendingArrivals(capacity: 16)
        pending.append(30)
        pending.append(10)
        pending.append(20)
        #expect(pending.take() == [30, 10, 20])
        #expect(pending.count == 0)
        #expect(pending.take() == [])
        pending.append(7)
        #expect(pending.take() == [7])
    }

    @Test("the buffer keeps its size over many flushes, busy or idle, while batches hold earlier buffers")
    func sizeStaysPut() {
        // A buffer past malloc's mmap threshold, as the live gateway's (2 × 8 192 arrivals).
        var pending = PendingArrivals(capacity: 16_384)
        let initial = pending.reservedCapacity
        #expect(initial >= 16_384)
        var handedOver: [[Int64]] = []
        for tick in 0..<2_000 {
            if tick % 3 == 0 { pending.append(Int64(tick)) }
            let batch = pending.take()
            if !batch.isEmpty { handedOver.append(batch) }
            if handedOver.count > 2 { handedOver.removeFirst() }
            #expect(pending.reservedCapacity == initial, "tick \(tick)")
        }
        #expect(handedOver.last == [1_998])
    }
}
