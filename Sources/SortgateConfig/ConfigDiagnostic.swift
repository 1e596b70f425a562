/// One problem found in a site config or a device profile, at the place it was written.
///
/// `description` is the `file:line:column: message` line that `sortgate check-config` prints and
/// that editors and CI annotators parse. Lines and columns are 1-based; columns count Unicode
/// scalars, as libyaml does. The message starts with the key path (`devices[2].qos: …`) when the
/// problem is about a value, says what is wrong and what to write instead.
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// The file as it was named: the config path as given, or the resolved path of a profile.
    public var file: String
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found while loading a site config and the device profiles it names.
///
/// Loading never stops at the first problem: an operator fixing a config wants the whole list
/// at once. Diagnostics come in file order: the config file's first, then each profile file's in
/// the order devices name them.
public struct ConfigError: Error, Hashable, CustomStringConvertible {
    public var diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    /// One diagnostic per line, without a trailing newline.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
