import Foundation
import SortgateLogging
import Synchronization

/// A ``LogLineOutput`` that keeps every line, for tests to read back.
final class CollectedLines: LogLineOutput {
    private let lines = Mutex<[String]>([])

    func writeLine(_ line: String) {
        lines.withLock { $0.append(line) }
    }

    var all: [String] { lines.withLock { $0 } }
}
