import SortgateHTTP
import Synchronization
import Testing

@Suite("LiveFeed")
struct LiveFeedTests {
    @Test("Without a client, publish builds nothing")
    func noClientBuildsNothing() {
        let feed = LiveFeed(clientBuffer: 4)
        let built = Mutex(0)
        feed.publish {
            built.withLock { $0 += 1 }
            return [.alert(id: "a")]
        }
        #expect(built.withLock { $0 } == 0)
    }

    @Test("A client that does not consume is dropped after its buffer fills, once, and counted")
    func slowClientIsDropped() async {
        let feed = LiveFeed(clientBuffer: 3)
        let drops = Mutex(0)
        let stream = feed.subscribe { drops.withLock { $0 += 1 } }
        #expect(stream != nil)
        #expect(feed.clientCount == 1)
        for n in 0..<3 { feed.publish { [.alert(id: "\(n)")] } }
        #expect(feed.droppedClients == 0)
        #expect(drops.withLock { $0 } == 0)
        feed.publish { [.alert(id: "overflow")] }
        feed.publish { [.alert(id: "more")] }
        #expect(feed.droppedClients == 1)
        #expect(drops.withLock { $0 } == 1)
        #expect(feed.clientCount == 0)
        // What was buffered before the drop is still delivered, then the stream ends.
        var received: [LiveEvent] = []
        for await delivery in stream! {
            if case .events(let events) = delivery { received += events }
        }
        #expect(received == [.alert(id: "0"), .alert(id: "1"), .alert(id: "2")])
    }

    @Test("A client that keeps up gets every batch in order; close ends its stream and refuses new clients")
    func keepingUp() async {
        let feed = LiveFeed(clientBuffer: 2)
        let stream = feed.subscribe()!
        var iterator = stream.makeAsyncIterator()
        var received: [LiveEvent] = []
        for n in 0..<10 {
            feed.publish { [.alert(id: "\(n)")] }
            if case .events(let events) = await iterator.next() { received += events }
        }
        #expect(received == (0..<10).map { .alert(id: "\($0)") })
        #expect(feed.droppedClients == 0)
        feed.close()
        #expect(await iterator.next() == nil)
        #expect(feed.subscribe() == nil)
    }
}
