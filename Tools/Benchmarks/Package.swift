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
                .product(name: "SortgateDevices", package: "sortgate"),
                .product(name: "SortgateStore", package: "sortgate"),
            ],
            path: "Benchmarks/Replay",
            swiftSettings: swiftSettings,
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
