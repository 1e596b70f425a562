// swift-tools-version:6.1
import PackageDescription

/// libFuzzer targets for every parser that reads bytes from outside the gateway, apart from the
/// main package so that its build and CI's `swift test` never compile them with the fuzzer's
/// instrumentation. Each target is an executable whose main.swift hands its test function to
/// libFuzzer's driver, so it links only when built with `-Xswiftc -sanitize=fuzzer`; `make fuzz`
/// builds them (release, so that they run fast) and runs each over its seed corpus in `corpus/`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

/// Target name, and the main-package products it reads.
let fuzzTargets: [(String, [String])] = [
    ("FuzzEventTime", ["SortgateCore"]),
    ("FuzzEPC", ["SortgateCore"]),
    ("FuzzImpinjPayload", ["SortgateConfig", "SortgateIngest"]),
    ("FuzzZebraPayload", ["SortgateConfig", "SortgateIngest"]),
    ("FuzzJSONMappingPayload", ["SortgateConfig", "SortgateIngest"]),
    ("FuzzCaptureLine", ["SortgateCore", "SortgateIngest"]),
    ("FuzzSiteConfig", ["SortgateConfig"]),
    ("FuzzRegisters", ["SortgateConfig", "SortgateIngest"]),
    ("FuzzManifest", ["SortgateConfig", "SortgateIngest"]),
]

let package = Package(
    name: "sortgate-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sortgate", path: "../.."),
    ],
    targets: [
        // What several targets need: scratch files for parsers that read paths, and a blocking
        // bridge for the async capture readers (libFuzzer calls a synchronous C function).
        .systemLibrary(name: "CLibFuzzer", path: "CLibFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"], path: "Support", swiftSettings: swiftSettings),
        // The decoding loop the three payload targets share.
        .target(
            name: "PayloadSupport",
            dependencies: [
                .product(name: "SortgateCore", package: "sortgate"),
                .product(name: "SortgateIngest", package: "sortgate"),
            ],
            path: "PayloadSupport",
            swiftSettings: swiftSettings
        ),
    ]
        + fuzzTargets.map { name, products in
            .executableTarget(
                name: name,
                dependencies: ["FuzzSupport"] + (name.hasSuffix("Payload") ? ["PayloadSupport"] : [])
                    + products.map { .product(name: $0, package: "sortgate") },
                path: "Targets/\(name)",
                swiftSettings: swiftSettings
            )
        }
)
