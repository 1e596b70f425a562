public import SortgateThreads

extension DedicatedThread {
    /// Starts `body` on a new thread named `name`, for one Modbus line or server; a refusal is a
    /// `ModbusError` naming `endpoint`, like every other failure of that line.
    public static func spawn(
        name: String,
        endpoint: String,
        _ body: @escaping @Sendable () -> Void
    ) throws(ModbusError) -> DedicatedThread {
        do {
            return try spawn(name: name, body)
        } catch {
            throw ModbusError(
                errno: error.errorNumber,
                endpoint: endpoint,
                operation: .connect,
                detail: "cannot start a thread"
            )
        }
    }
}
