extension SiteConfigLoader {
    static let postgresKeys = ["postgres", "password_file", "tls"]
    static let centralKeys = postgresKeys + ["max_backlog", "batch_rows", "interval"]

    /// `central: {postgres: URL, password_file, tls: {ca}, max_backlog: {rows, age}, batch_rows, interval}`.
    func readCentral(_ node: YAMLNode, _ path: String) -> CentralConfig? {
        guard
            var map = YAMLMapping(
                node,
                path: path,
                expected: "a mapping with postgres: URL (and password_file, tls, max_backlog)",
                log: log
            )
        else { return nil }
        map.reportUnknownKeys(known: Self.centralKeys, ignoring: ["password"])
        let server = readPostgres(map)
        let backlog = map.optional("max_backlog") { readBacklog($0, $1) }
        let batchRows = map.optional("batch_rows") {
            $0.integer($1, expected: "a number of rows from 100 to 1000000", in: 100...1_000_000, log: log)
        }
        let interval = map.optional("interval") { $0.duration($1, log: log, allowZero: false) }
        guard let server else { return nil }
        return CentralConfig(
            server: server,
            maxBacklogRows: backlog?.rows ?? CentralConfig.defaultMaxBacklogRows,
            maxBacklogAge: backlog == nil ? CentralConfig.defaultMaxBacklogAge : backlog?.age,
            batchRows: batchRows ?? CentralConfig.defaultBatchRows,
            interval: interval ?? CentralConfig.defaultInterval
        )
    }

    /// `max_backlog: {rows: N, age: D}`; an absent key keeps its default, `age: 0` turns the age bound off.
    private func readBacklog(_ node: YAMLNode, _ path: String) -> (rows: Int, age: Duration?)? {
        guard var map = YAMLMapping(node, path: path, expected: "a mapping with rows and age", log: log)
        else { return nil }
        map.reportUnknownKeys(known: ["rows", "age"])
        let rows = map.optional("rows") {
            $0.integer($1, expected: "a number of rows from 1000 to 10000000000", in: 1000...10_000_000_000, log: log)
        }
        let age = map.optional("age") { $0.duration($1, log: log, allowBareZero: true) }
        if map.contains("rows"), rows == nil { return nil }
        if map.contains("age"), age == nil { return nil }
        return (rows ?? CentralConfig.defaultMaxBacklogRows, age.map { $0 == .zero ? nil : $0 } ?? CentralConfig.defaultMaxBacklogAge)
    }

    /// Reports a `password` key of `map`: passwords live in files named by `password_file`.
    func refuseWrittenPassword(_ map: YAMLMapping) {
        guard let password = map.pair("password") else { return }
        log.error(at: password.keyNode, path: map.path("password"), ConfigWording.writtenPassword)
    }

    /// The `postgres`, `password_file` and `tls` keys of `map` (the `central` section, or `database`).
    func readPostgres(_ map: YAMLMapping) -> PostgresConfig? {
        refuseWrittenPassword(map)
        let server = map.required("postgres", "a URL such as postgres://sortgate@db:5432/sortgate") {
            node, path -> PostgresConfig? in
            guard let url = node.text(path, expected: "a URL such as postgres://sortgate@db:5432/sortgate", log: log)
            else { return nil }
            switch PostgresConfig.parse(url: url) {
            case .success(let server): return server
            case .failure(let problem):
                log.error(at: node, path: path, "\(problem.message), got \(node.shortDescription)")
                return nil
            }
        }
        let passwordFile = map.optional("password_file") { node, path -> String? in
            node.text(path, expected: "the path of a file holding the password", log: log).map(resolve)
                .flatMap { readableFile($0, node, path) }
        }
        let tls = map.optional("tls") { readTLS($0, $1) }
        guard var server else { return nil }
        server.passwordFile = passwordFile
        server.tls = tls
        return server
    }
}
