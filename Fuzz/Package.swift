// swift-tools-version:6.0
//
// libFuzzer targets, in their own package so normal builds never need -sanitize=fuzzer.
// See docs/fuzzing.md for the exact commands (Fuzz/run.sh builds and runs them all).
import PackageDescription

let package = Package(
    name: "flowlog-fuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "flowlog", path: ".."),
    ],
    targets: [
        // libFuzzer's driver, shared by every target below.
        .target(name: "FuzzDriver"),
        // Selector parser: never crashes, and whatever parses round-trips through its canonical form.
        .executableTarget(
            name: "selector-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Policy", package: "flowlog"),
            ]
        ),
        // Configuration audit readers: manifests (YAML/JSON, lists, limits), pod specs, the
        // Pod Security Standards checks; errors must always name their file.
        .executableTarget(
            name: "config-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "ConfigAudit", package: "flowlog"),
            ]
        ),
        // Capture: libpcap's readers over hostile files (from memory) and the packet decoder,
        // fragment table and flow cache over arbitrary frames of every link type.
        .executableTarget(
            name: "capture-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Capture", package: "flowlog"),
            ]
        ),
        // Classic pcap records read where they lie, against libpcap reading the same bytes.
        .executableTarget(
            name: "pcap-inplace-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Capture", package: "flowlog"),
            ]
        ),
        // DNS responses as the capture stage reads them: never crashes, answers keep their limits.
        .executableTarget(
            name: "dns-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Capture", package: "flowlog"),
            ]
        ),
        // The query filter language: a filter or a located error; pruning never hides a match.
        .executableTarget(
            name: "filter-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Query", package: "flowlog"),
            ]
        ),
        // RFC 3339 times and durations back from now (--since, --until).
        .executableTarget(
            name: "time-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Query", package: "flowlog"),
            ]
        ),
        // Cluster manifests through the loader and the policy engine, and agent configurations.
        .executableTarget(
            name: "manifest-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Policy", package: "flowlog"),
                .product(name: "Pipeline", package: "flowlog"),
            ]
        ),
        // The block-style YAML scanner against libyaml: the same documents, warnings and errors.
        .executableTarget(
            name: "yaml-scanner-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "Policy", package: "flowlog"),
            ]
        ),
        // Segment files and block payloads: reader, verifier, writer recovery, block decoder.
        .executableTarget(
            name: "store-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "SegmentStore", package: "flowlog"),
            ]
        ),
        // GlobalReport manifests and cron schedules: located errors, never a crash.
        .executableTarget(
            name: "report-spec-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Reports", package: "flowlog"),
            ]
        ),
        // SIEM export configurations (`flowlog export siem --config`, the agent's export.siem):
        // a configuration that holds its promises or an error naming file, line and field.
        .executableTarget(
            name: "siem-config-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "SIEMConfig", package: "flowlog"),
            ]
        ),
        // Audit log lines and webhook bodies: the JSON parser, event reading, the version rules
        // and stored records reading back.
        .executableTarget(
            name: "audit-event-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Audit", package: "flowlog"),
            ]
        ),
        // What `flowlog verify` is handed: digest files, bundle archives (extracted, then
        // verified), PEM public keys; located errors, nothing written outside the work directory.
        .executableTarget(
            name: "evidence-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "Evidence", package: "flowlog"),
            ]
        ),
        // What an exporter reads first after a restart: ClickHouse checkpoints, a SIEM sink's
        // state file and its spool chunks; what reads back writes back the same, errors name
        // the file (and the line).
        .executableTarget(
            name: "export-state-fuzz",
            dependencies: [
                "FuzzDriver",
                .product(name: "FlowCore", package: "flowlog"),
                .product(name: "ClickHouse", package: "flowlog"),
                .product(name: "SIEMExport", package: "flowlog"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
