import Foundation
import ServiceLifecycle

/// Runs a message-queue consumer on its own thread until it returns, closing the queue on
/// graceful shutdown so that the consumer drains what is left and ends.
///
/// Consumers block (SQLite writes, file appends, waiting on the queue's condition), so they
/// must not run on the Swift cooperative pool; the calling task only awaits the thread's end.
func runQueueConsumer(named name: String, queue: MessageQueue, _ consume: @escaping @Sendable () -> Void) async {
    await withGracefulShutdownHandler {
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                consume()
                finished.resume()
            }
            thread.name = name
            thread.start()
        }
    } onGracefulShutdown: {
        queue.close()
    }
}
