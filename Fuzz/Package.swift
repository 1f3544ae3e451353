// swift-tools-version:6.0
//
// libFuzzer targets, in their own package so normal builds never need -sanitize=fuzzer.
// See docs/policy.md ("Fuzzing the selector parser") for the exact commands.
import PackageDescription

let package = Package(
    name: "flowlog-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "flowlog", path: ".."),
    ],
    targets: [
        // Selector parser: never crashes, and whatever parses round-trips through its canonical form.
        .executableTarget(
            name: "selector-fuzz",
            dependencies: [
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Policy", package: "flowlog"),
            ]
        ),
        // Configuration audit readers: manifests (YAML/JSON, lists, limits), pod specs, the
        // Pod Security Standards checks; errors must always name their file.
        .executableTarget(
            name: "config-fuzz",
            dependencies: [
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "ConfigAudit", package: "flowlog"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
