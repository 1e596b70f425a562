public import Logging
public import ServiceLifecycle
import SortgateConfig
import SortgateIngest

/// Logs a one-line status of the live gateway every `interval` (config `status_interval`).
public struct StatusReporter: Service {
    public var interval: Duration
    public var line: @Sendable () -> String
    public var logger: Logger

    public init(interval: Duration, logger: Logger, line: @escaping @Sendable () -> String) {
        self.interval = interval
        self.logger = logger
        self.line = line
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                return
            }
            logger.info("\(line())")
        }
    }
}
