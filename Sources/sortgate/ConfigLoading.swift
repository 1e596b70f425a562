import ArgumentParser
import Foundation
import SortgateConfig
import SortgateIngest
import SortgateGateway

/// Where the profiles shipped with sortgate are: `Devices/` next to the package the binary was
/// built from (a `swift build` tree), then where `make install` puts them beside the binary
/// (`PREFIX/bin/sortgate` → `PREFIX/share/sortgate/Devices`, whatever PREFIX and DESTDIR were).
func shippedProfileFolders() -> [String] {
    var folders: [String] = []
    if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath() {
        let binFolder = executable.deletingLastPathComponent()
        var folder = binFolder
        for _ in 0..<6 {
            let candidate = folder.appendingPathComponent("Devices")
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path),
                FileManager.default.fileExists(atPath: candidate.path)
            {
                folders.append(candidate.path)
                break
            }
            folder = folder.deletingLastPathComponent()
        }
        folders.append(binFolder.deletingLastPathComponent().appendingPathComponent("share/sortgate/Devices").path)
    }
    return folders
}

/// Loads the site config or stops with its diagnostics, one `file:line:column: problem` per line.
func loadConfigOrExit(_ path: String) throws -> SiteConfig {
    do {
        return try SiteConfig.load(path: path, shippedProfileFolders: shippedProfileFolders())
    } catch {
        printError(error.description)
        printError("sortgate: \(error.diagnostics.count) problem(s) in the configuration; nothing was started")
        throw ExitCode(2)
    }
}

/// Writes a line to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
