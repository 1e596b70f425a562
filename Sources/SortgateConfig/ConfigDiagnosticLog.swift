/// Collects the diagnostics of one file while it is read, so that every problem is reported.
///
/// A class rather than an `inout` struct because nearly every reading function appends to it and
/// views of the same file (mappings, nodes) share it. One log lives for one load, on one thread.
package final class ConfigDiagnosticLog {
    /// The file every diagnostic of this log is about.
    package let file: String
    package private(set) var diagnostics: [ConfigDiagnostic] = []

    package init(file: String) {
        self.file = file
    }

    package var isEmpty: Bool { diagnostics.isEmpty }

    /// Records `message` at a line and column of this log's file.
    package func error(line: Int, column: Int, _ message: String) {
        diagnostics.append(ConfigDiagnostic(file: file, line: line, column: column, message: message))
    }

    /// Records `message` at `node`'s position, as is.
    package func error(at node: YAMLNode, _ message: String) {
        error(line: node.line, column: node.column, message)
    }

    /// Records a problem with the value at `path` (`devices[2].qos`), prefixing the path.
    package func error(at node: YAMLNode, path: String, _ problem: String) {
        error(at: node, path.isEmpty ? problem : "\(path): \(problem)")
    }

    /// The diagnostics in file order; problems found at the same place keep the order they were found in.
    package var sortedDiagnostics: [ConfigDiagnostic] {
        var seen = Set<ConfigDiagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        return unique.enumerated()
            .sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            .map(\.element)
    }
}

/// Wording helpers shared by the config and profile readers.
package enum ConfigWording {
    /// Said of a password written in the config (a broker's or PostgreSQL's, as a key or in a URL).
    static let writtenPassword =
        "a password is never written in the config; put it in a file only sortgate can read and name that file "
        + "with password_file"

    /// The candidate closest to `word` by edit distance, when it is at most 2 edits away and
    /// closer than a complete rewrite, so `absent_afer` suggests `absent_after` but `x` suggests nothing.
    static func suggestion(for word: String, among candidates: some Sequence<String>) -> String? {
        var best: (candidate: String, distance: Int)?
        let wordScalars = Array(word.unicodeScalars)
        for candidate in candidates where candidate != word {
            let distance = editDistance(wordScalars, Array(candidate.unicodeScalars))
            guard distance <= 2, distance < wordScalars.count else { continue }
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        return best?.candidate
    }

    /// `"; did you mean 'x'?"` when there is a close candidate, else an empty string.
    package static func didYouMean(_ word: String, among candidates: some Sequence<String>) -> String {
        suggestion(for: word, among: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// `a`, `a or b`, `a, b or c`: how a list of accepted values reads in a message.
    static func alternatives(_ items: [String], conjunction: String = "or") -> String {
        switch items.count {
        case 0: return ""
        case 1: return items[0]
        default: return items.dropLast().joined(separator: ", ") + " \(conjunction) " + items.last!
        }
    }

    /// Levenshtein distance over Unicode scalars (two rows, enough for key names).
    static func editDistance(_ a: [Unicode.Scalar], _ b: [Unicode.Scalar]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[b.count]
    }
}
