// swift-tools-version:6.1
import PackageDescription

/// sortgate's benchmarks, apart from the main package so that its build and CI never compile the
/// benchmark harnesses.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "sortgate-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sortgate", path: "../.."),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    ],
    targets: [
        // libmosquitto for the bare subscriber and the publisher of the live benchmark (C calls only).
        .systemLibrary(
            name: "CMosquittoBare",
            path: "Sources/CMosquittoBare",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // Live MQTT end to end: a bare libmosquitto subscriber and the gateway on one broker, QoS 0 and 1.
        .executableTarget(
            name: "LiveMQTT",
            dependencies: [
                "CMosquittoBare",
                .product(name: "SortgateCore", package: "sortgate"),
                .product(name: "SortgateDevices", package: "sortgate"),
                .product(name: "SortgateMQTT", package: "sortgate"),
                .product(name: "SortgateStore", package: "sortgate"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "LiveMQTT",
            swiftSettings: swiftSettings
        ),
    ]
)
