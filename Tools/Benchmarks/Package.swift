// swift-tools-version:6.1
import PackageDescription

/// sortgate's benchmarks, apart from the main package so that its build and CI never compile the
/// benchmark harness. Run them all with `make bench` (or `swift package --package-path
/// Tools/Benchmarks benchmark`); each benchmark target is one suite of Benchmarks/.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "sortgate-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sortgate", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        // Synthetic workloads shared by the suites: EPC populations, read streams, capture files, site configs.
        .target(
            name: "BenchmarkWorkloads",
            dependencies: [.product(name: "SortgateCore", package: "sortgate")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "CorePipeline",
            dependencies: [
                "BenchmarkWorkloads",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SortgateCore", package: "sortgate"),
            ],
            path: "Benchmarks/CorePipeline",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Replay",
            dependencies: [
                "BenchmarkWorkloads",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SortgateCore", package: "sortgate"),
                .product(name: "SortgateConfig", package: "sortgate"),
                .product(name: "SortgateIngest", package: "sortgate"),
                .product(name: "SortgateStore", package: "sortgate"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/Replay",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "Central",
            dependencies: [
                "BenchmarkWorkloads",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SortgateConfig", package: "sortgate"),
                .product(name: "SortgateGateway", package: "sortgate"),
                .product(name: "SortgateIngest", package: "sortgate"),
                .product(name: "SortgateStore", package: "sortgate"),
                .product(name: "SortgateTestSupport", package: "sortgate"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            path: "Benchmarks/Central",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // libmosquitto for the bare subscriber and the publisher of the live benchmark (C calls only).
        .systemLibrary(
            name: "CMosquittoBare",
            path: "Sources/CMosquittoBare",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // libmodbus for the bare Modbus client of `LiveMQTT modbus` (C calls only).
        .systemLibrary(
            name: "CModbusBare",
            path: "Sources/CModbusBare",
            pkgConfig: "libmodbus",
            providers: [.apt(["libmodbus-dev"])]
        ),
        // Live MQTT end to end: a bare libmosquitto subscriber and the gateway on one broker, QoS 0
        // and 1 (its own harness: child processes, a real mosquitto); `make bench-live`.
        .executableTarget(
            name: "LiveMQTT",
            dependencies: [
                "CMosquittoBare",
                "CModbusBare",
                .product(name: "SortgateCore", package: "sortgate"),
                .product(name: "SortgateConfig", package: "sortgate"),
                .product(name: "SortgateIngest", package: "sortgate"),
                .product(name: "SortgateGateway", package: "sortgate"),
                .product(name: "SortgateMQTT", package: "sortgate"),
                .product(name: "SortgateModbus", package: "sortgate"),
                .product(name: "SortgateModbusServer", package: "sortgate"),
                .product(name: "SortgateStore", package: "sortgate"),
                .product(name: "SortgateTestSupport", package: "sortgate"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "LiveMQTT",
            swiftSettings: swiftSettings
        ),
    ]
)
