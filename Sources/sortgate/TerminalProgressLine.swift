import Foundation

/// A line on standard error that redraws itself in place, for progress a person watches.
///
/// It exists only when standard error is a terminal: piped or redirected output (scripts, tests,
/// journald) never sees it, so what they read stays exactly the command's lines.
final class TerminalProgressLine {
    private var shown = false

    /// The progress line, or nil when standard error is not a terminal.
    static func onTerminal() -> TerminalProgressLine? {
        isatty(STDERR_FILENO) == 1 ? TerminalProgressLine() : nil
    }

    private init() {}

    /// Replaces the line with `text`, cut to the terminal's width so that it never wraps (a
    /// wrapped line could not be redrawn in place).
    func show(_ text: String) {
        write("\r" + String(text.prefix(max(1, Self.columns() - 1))) + "\u{1B}[K")
        shown = true
    }

    /// Erases the line, leaving the cursor where it started, before the command's own output.
    func erase() {
        guard shown else { return }
        write("\r\u{1B}[K")
        shown = false
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// The terminal's width; 80 when it does not say.
    private static func columns() -> Int {
        var size = winsize()
        guard ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }
}
