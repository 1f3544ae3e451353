// swift-tools-version:6.0
//
// libFuzzer targets, in their own package so normal builds never need -sanitize=fuzzer.
// See docs/policy.md ("Fuzzing the selector parser") and docs/reports.md ("Fuzzing") for the exact commands.
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
        // GlobalReport manifests and cron schedules: located errors, never a crash.
        .executableTarget(
            name: "report-spec-fuzz",
            dependencies: [
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Reports", package: "flowlog"),
            ]
        ),
        // Audit log lines and webhook bodies: the JSON parser, event reading, the version rules
        // and stored records reading back.
        .executableTarget(
            name: "audit-event-fuzz",
            dependencies: [
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Audit", package: "flowlog"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
