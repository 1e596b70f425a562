import Testing

@testable import SortgateCore

@Suite("EventNumberWindow")
struct EventNumberWindowTests {
    @Test("A repeated number is a duplicate, a late unseen one is new")
    func duplicatesAndLateArrivals() {
        var window = EventNumberWindow()
        #expect(window.admit(10) == .new)
        #expect(window.admit(11) == .new)
        #expect(window.admit(13) == .new)
        #expect(window.admit(11) == .duplicate)
        #expect(window.admit(12) == .new)
        #expect(window.admit(12) == .duplicate)
        #expect(window.admit(13) == .duplicate)
        #expect(window.admit(10) == .duplicate)
    }

    @Test("Numbers across word boundaries of the bitmap are remembered")
    func wideWindow() {
        var window = EventNumberWindow()
        for n in stride(from: UInt64(1), through: 2000, by: 3) { #expect(window.admit(n) == .new) }
        // 2000 - 1000 is inside the 1024 window; every third number was seen.
        #expect(window.admit(1000) == .duplicate)
        #expect(window.admit(1001) == .new)
        #expect(window.admit(1998) == .new)
        #expect(window.admit(1999) == .duplicate)
        #expect(window.admit(1996) == .duplicate)
    }

    @Test("A number far below the window is a reader restart and starts over")
    func counterReset() {
        var window = EventNumberWindow()
        #expect(window.admit(50_000) == .new)
        #expect(window.admit(1) == .counterReset)
        #expect(window.admit(2) == .new)
        #expect(window.admit(1) == .duplicate)
        #expect(window.admit(50_000) == .new)
    }

    @Test("A jump ahead larger than the window forgets the old numbers")
    func bigJump() {
        var window = EventNumberWindow()
        #expect(window.admit(5) == .new)
        #expect(window.admit(5 + 5000) == .new)
        #expect(window.admit(5 + 4999) == .new)
        #expect(window.admit(5 + 5000) == .duplicate)
    }
}

@Suite("RecentDigests")
struct RecentDigestsTests {
    @Test("A digest seen among the last `capacity` is a repeat; older ones are forgotten")
    func window() {
        var digests = RecentDigests(capacity: 3)
        let results = [1, 2, 1, 3, 4, 1, 4, 3, 2].map { digests.insert(UInt64($0)) }
        // 1 left the window when 4 came, so it is new again; then 2 had left when 1 came back.
        #expect(results == [true, true, false, true, true, true, false, false, true])
    }
}
