import Foundation
import ServiceLifecycle
import SortgateCore
import SortgateConfig
import SortgateIngest
import SortgateThreads

/// Runs the event ring's consumer on its own thread until it returns, closing the ring on
/// graceful shutdown so that the consumer drains what is left and ends.
///
/// Consumers block (SQLite writes, file appends, parking on an empty ring), so they must not
/// run on the Swift cooperative pool; the calling task only awaits the thread's end.
func runRingConsumer(named name: String, ring: EventRing, _ consume: @escaping @Sendable () -> Void) async {
    await withGracefulShutdownHandler {
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                nameCurrentThread(name)
                consume()
                finished.resume()
            }
            thread.name = name
            thread.start()
        }
    } onGracefulShutdown: {
        ring.close()
    }
}
