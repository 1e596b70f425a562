public import Foundation

/// A throwaway PKI made with `openssl` in a temporary directory: a CA, a server certificate for
/// 127.0.0.1 and localhost (subjectAltName; the common name is the first of them), and a client
/// certificate, all signed by that CA, with P-256 keys (quick to generate) valid for 30 days. Two calls
/// make two unrelated CAs, which is how a test gets "the wrong CA".
public struct TestCertificates: Sendable {
    public var directory: URL
    public var caFile: String
    public var caKeyFile: String
    public var serverCertFile: String
    public var serverKeyFile: String
    public var clientCertFile: String
    public var clientKeyFile: String

    public static let openssl = "/usr/bin/openssl"

    /// Generates the files; `name` ends up in the CA's common name, to tell two CAs apart in logs.
    /// `serverNames` is the server certificate's subjectAltName list; the default matches a broker on
    /// 127.0.0.1 or localhost, anything else makes a certificate for the wrong host.
    public static func generate(
        name: String = "sortgate test",
        serverNames: [String] = ["IP:127.0.0.1", "DNS:localhost"]
    ) throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("sortgate-certificates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func path(_ file: String) -> String {
            directory.appendingPathComponent(file).path
        }
        // "IP:127.0.0.1" → "127.0.0.1": the server's first name is also its common name.
        let commonName = serverNames.first.map { String($0.drop { $0 != ":" }.dropFirst()) } ?? "server"
        let newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try CommandRunner.runChecked(
            openssl,
            ["req", "-x509"] + newKey + [
                "-keyout", path("ca.key"), "-out", path("ca.crt"), "-days", "30", "-subj", "/CN=\(name) CA",
            ]
        )
        try issue(
            "server",
            subject: "/CN=\(commonName)",
            extensions: [
                "basicConstraints=CA:FALSE",
                "keyUsage=critical,digitalSignature,keyEncipherment",
                "extendedKeyUsage=serverAuth",
                "subjectAltName=\(serverNames.joined(separator: ","))",
            ],
            serial: 2,
            newKey: newKey,
            path: path
        )
        try issue(
            "client",
            subject: "/CN=sortgate-test-client",
            extensions: [
                "basicConstraints=CA:FALSE",
                "keyUsage=critical,digitalSignature,keyEncipherment",
                "extendedKeyUsage=clientAuth",
            ],
            serial: 3,
            newKey: newKey,
            path: path
        )
        return TestCertificates(
            directory: directory,
            caFile: path("ca.crt"),
            caKeyFile: path("ca.key"),
            serverCertFile: path("server.crt"),
            serverKeyFile: path("server.key"),
            clientCertFile: path("client.crt"),
            clientKeyFile: path("client.key")
        )
    }

    /// Deletes the directory with every key in it.
    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private static func issue(
        _ name: String,
        subject: String,
        extensions: [String],
        serial: Int,
        newKey: [String],
        path: (String) -> String
    ) throws {
        try (extensions.joined(separator: "\n") + "\n").write(
            toFile: path("\(name).ext"),
            atomically: true,
            encoding: .utf8
        )
        try CommandRunner.runChecked(
            openssl,
            ["req"] + newKey + ["-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject]
        )
        try CommandRunner.runChecked(
            openssl,
            [
                "x509", "-req", "-in", path("\(name).csr"), "-CA", path("ca.crt"), "-CAkey", path("ca.key"),
                "-set_serial", "\(serial)", "-days", "30", "-out", path("\(name).crt"),
                "-extfile", path("\(name).ext"),
            ]
        )
    }
}
