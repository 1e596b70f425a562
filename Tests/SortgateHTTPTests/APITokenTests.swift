import Foundation
import SortgateHTTP
import Testing

@Suite("APIToken")
struct APITokenTests {
    @Test("Only the exact token matches")
    func matching() {
        let token = APIToken("s3cret-token")
        #expect(token.matches("s3cret-token"))
        #expect(!token.matches("s3cret-toke"))
        #expect(!token.matches("s3cret-token!"))
        #expect(!token.matches("S3cret-token"))
        #expect(!token.matches(""))
    }

    @Test("The file is refused when others may read it, missing or empty; trimmed otherwise")
    func file() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("token").path

        #expect(throws: HTTPServiceError.self) { try APIToken(file: path) }
        FileManager.default.createFile(atPath: path, contents: Data("abc\n".utf8), attributes: [.posixPermissions: 0o640])
        do {
            _ = try APIToken(file: path)
            Issue.record("a group-readable token file was accepted")
        } catch {
            #expect(error.kind == .token)
            #expect(error.description == "http.token_file '\(path)' is readable by group or others (mode 640); run `chmod 600 \(path)`")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try APIToken(file: path).matches("abc"))
        try Data(" \n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: HTTPServiceError.self) { try APIToken(file: path) }
    }
}
