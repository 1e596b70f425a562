/// A test fixture (a broker, a command-line tool, a certificate) could not be set up or did not
/// behave; the message says what and includes the tool's own output.
public struct TestSupportError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
