// swift-tools-version:6.1
import PackageDescription

/// One set of settings for every target (Swift 6 language mode is the tools-version default).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "sortgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sortgate", targets: ["sortgate"]),
        .executable(name: "sortgate-capture-gen", targets: ["CaptureGenerator"]),
        .executable(name: "sortgate-sim", targets: ["ReaderSimulator"]),
        .executable(name: "sortgate-modbus-sim", targets: ["ModbusSimulator"]),
        // The libraries, for the benchmark package in Tools/Benchmarks.
        .library(name: "SortgateCore", targets: ["SortgateCore"]),
        .library(name: "SortgateMQTT", targets: ["SortgateMQTT"]),
        .library(name: "SortgateModbus", targets: ["SortgateModbus"]),
        .library(name: "SortgateConfig", targets: ["SortgateConfig"]),
        .library(name: "SortgateIngest", targets: ["SortgateIngest"]),
        .library(name: "SortgateGateway", targets: ["SortgateGateway"]),
        .library(name: "SortgateModbusServer", targets: ["SortgateModbusServer"]),
        .library(name: "SortgateStore", targets: ["SortgateStore"]),
        .library(name: "SortgateLogging", targets: ["SortgateLogging"]),
        // Real servers started for a test (PostgreSQL, mosquitto…), for the benchmarks too.
        .library(name: "SortgateTestSupport", targets: ["SortgateTestSupport"]),
        .library(name: "SortgateHTTP", targets: ["SortgateHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries, each imported only by its own wrapper module.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        .systemLibrary(
            name: "CModbus",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),

        // Pure Swift, no I/O, no C.
        .target(
            name: "SortgateCore",
            dependencies: [
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // A dedicated named thread and a signal to wait on and wake: Glibc and Synchronization only.
        .target(
            name: "SortgateThreads",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SortgateMQTT",
            dependencies: [
                "CMosquitto",
                "SortgateCore",
                "SortgateThreads",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SortgateModbus",
            dependencies: [
                "CModbus",
                "SortgateCore",
                "SortgateThreads",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The site config and device profiles: YAML in, `SiteConfig` out, every problem as file:line:column.
        .target(
            name: "SortgateConfig",
            dependencies: [
                "SortgateCore",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        // Bytes to facts: payload and register decoding, the ingest session, topology, capture
        // files and replay. No network, no threads of its own.
        .target(
            name: "SortgateIngest",
            dependencies: [
                "SortgateCore",
                "SortgateConfig",
                "SortgateThreads",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            swiftSettings: swiftSettings
        ),
        // The live system, wired once: the `Gateway` service and everything it runs.
        .target(
            name: "SortgateGateway",
            dependencies: [
                "SortgateCore",
                "SortgateConfig",
                "SortgateIngest",
                "SortgateMQTT",
                "SortgateModbus",
                "SortgateStore",
                "SortgateHTTP",
                "SortgateThreads",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // A libmodbus server for the simulator, the tests and the benchmarks; never in a production
        // library (the one other importer of CModbus, since it is libmodbus' server side).
        .target(
            name: "SortgateModbusServer",
            dependencies: [
                "CModbus",
                "SortgateModbus",
                "SortgateThreads",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/ModbusServer",
            swiftSettings: swiftSettings
        ),
        // The HTTP API, the Prometheus endpoint and the dashboard's files: reads SQLite through its
        // own read-only connections and shows what a running gateway reports through `GatewayStatus`.
        .target(
            name: "SortgateHTTP",
            dependencies: [
                "SortgateCore",
                "SortgateConfig",
                "SortgateStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SortgateStore",
            dependencies: [
                "SortgateCore",
                "SortgateConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, as GRDB links it: the writer binds its hot rows directly (RowStatement).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                "SortgateThreads",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Log lines for collectors: logfmt and JSON lines, one record per line (swift-log handlers).
        .target(
            name: "SortgateLogging",
            dependencies: [
                "SortgateCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "sortgate",
            dependencies: [
                "SortgateCore",
                "SortgateLogging",
                "SortgateConfig",
                "SortgateIngest",
                "SortgateGateway",
                "SortgateHTTP",
                "SortgateStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CaptureGenerator",
            dependencies: [
                "SortgateCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Tools/CaptureGenerator",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "ReaderSimulator",
            dependencies: [
                "SortgateCore",
                "SortgateConfig",
                "SortgateIngest",
                "SortgateMQTT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/ReaderSimulator",
            swiftSettings: swiftSettings
        ),

        .executableTarget(
            name: "ModbusSimulator",
            dependencies: [
                "SortgateConfig",
                "SortgateModbus",
                "SortgateModbusServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tools/ModbusSimulator",
            exclude: ["README.md", "demo-coldrooms.yaml"],
            swiftSettings: swiftSettings
        ),

        .testTarget(
            name: "SortgateCoreTests",
            dependencies: ["SortgateCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateConfigTests",
            dependencies: ["SortgateConfig", "SortgateIngest", "SortgateCore"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateIngestTests",
            dependencies: ["SortgateIngest", "SortgateConfig", "SortgateCore", "SortgateTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateGatewayTests",
            dependencies: [
                "SortgateGateway",
                "SortgateIngest",
                "SortgateConfig",
                "SortgateCore",
                "SortgateModbus",
                "SortgateModbusServer",
                "SortgateTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SortgateTestSupport",
            dependencies: ["SortgateConfig", .product(name: "Logging", package: "swift-log")],
            path: "Tests/SortgateTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateMQTTTests",
            dependencies: [
                "SortgateMQTT",
                "SortgateCore",
                "SortgateTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateModbusTests",
            dependencies: [
                "SortgateModbus",
                "SortgateModbusServer",
                "SortgateConfig",
                "SortgateIngest",
                "SortgateCore",
                "SortgateTestSupport",
                "SortgateThreads",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateLoggingTests",
            dependencies: [
                "SortgateLogging",
                "SortgateCore",
                "SortgateTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateHTTPTests",
            dependencies: [
                "SortgateHTTP",
                "SortgateTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SortgateStoreTests",
            dependencies: ["SortgateStore", "SortgateCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SortgateCore",
                "SortgateConfig",
                "SortgateIngest",
                "SortgateGateway",
                "SortgateModbus",
                "SortgateModbusServer",
                "SortgateStore",
                "SortgateMQTT",
                "SortgateHTTP",
                "SortgateTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            // GS1's EPCIS 2.0 JSON schema, its examples and the validator script the export tests run.
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
    ]
)
