// swift-tools-version:6.0
//
// flowlog: packets → bidirectional flows → Calico policy verdicts → LZ4 segments → queries.
//
// Stages are modules and depend one way only:
//
//   FlowCore ← Capture ← FlowRing ← Policy ← SegmentStore ← Query ← Pipeline ← flowlog
//
// Evidence-side modules read from the stages (ClickHouse ← SegmentStore, Query) and nothing
// in the stages depends on them.
//
// (each stage imports FlowCore and the C library it owns; `Pipeline` wires the stages;
// the `flowlog` executable is a thin layer of subcommands over them).
import PackageDescription

let package = Package(
    name: "flowlog",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flowlog", targets: ["flowlog"]),
        .library(name: "FlowCore", targets: ["FlowCore"]),
        .library(name: "Capture", targets: ["Capture"]),
        .library(name: "FlowRing", targets: ["FlowRing"]),
        .library(name: "Policy", targets: ["Policy"]),
        .library(name: "SegmentStore", targets: ["SegmentStore"]),
        .library(name: "Query", targets: ["Query"]),
        .library(name: "Pipeline", targets: ["Pipeline"]),
        .library(name: "ClickHouse", targets: ["ClickHouse"]),
        .library(name: "ConfigAudit", targets: ["ConfigAudit"]),
        // For the benchmark package's generators; not a stable API.
        .library(name: "FlowTestSupport", targets: ["FlowTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.60.0"),
    ],
    targets: [
        // C libraries, each seen by exactly one Swift module.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),

        // Value types shared by every stage; no I/O.
        .target(name: "FlowCore"),

        // Stage 1: libpcap capture, link/IP/transport decoding, the flow cache.
        .target(name: "Capture", dependencies: ["FlowCore", "CPcap"]),

        // Stage 2: the lock-free single-producer single-consumer ring between threads.
        .target(
            name: "FlowRing",
            dependencies: ["FlowCore", .product(name: "Atomics", package: "swift-atomics")]
        ),

        // Stage 3: cluster model, Calico selectors, tiers and policies, per-flow verdicts.
        .target(name: "Policy", dependencies: ["FlowCore", "Yams"]),

        // Stage 4: LZ4-compressed append-only segments with block indexes.
        .target(name: "SegmentStore", dependencies: ["FlowCore", "CLZ4"]),

        // Stage 5: filter language, block pruning, aggregation and output formats.
        .target(name: "Query", dependencies: ["FlowCore", "SegmentStore", "Policy"]),

        // Wiring: replay and the node agent (threads, ring, metrics, reload, lifecycle).
        .target(
            name: "Pipeline",
            dependencies: [
                "FlowCore", "Capture", "FlowRing", "Policy", "SegmentStore",
                "Yams",
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Evidence side: continuous export of stored flows to ClickHouse, and the filter language
        // translated to ClickHouse SQL. Reads from the store and the query stage, never the reverse.
        .target(
            name: "ClickHouse",
            dependencies: [
                "FlowCore", "SegmentStore", "Query", "Policy",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // Evidence side: Pod Security Standards, the CIS Kubernetes Benchmark and compliance
        // packs, judged on the manifests the policy stage loads (reads Policy, never the reverse).
        .target(name: "ConfigAudit", dependencies: ["FlowCore", "Policy", "Yams"]),

        .executableTarget(
            name: "flowlog",
            dependencies: [
                "FlowCore", "Capture", "FlowRing", "Policy", "SegmentStore", "Query", "Pipeline", "ConfigAudit", "ClickHouse",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Test support: a pcap writer and packet builders for hand-made captures.
        .target(name: "FlowTestSupport", dependencies: ["FlowCore"]),

        .testTarget(name: "FlowCoreTests", dependencies: ["FlowCore"]),
        .testTarget(
            name: "CaptureTests",
            dependencies: ["Capture", "FlowCore", "FlowTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "FlowRingTests", dependencies: ["FlowRing", "FlowCore"]),
        .testTarget(
            name: "PolicyTests",
            dependencies: ["Policy", "FlowCore", "Yams"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "SegmentStoreTests", dependencies: ["SegmentStore", "FlowCore"]),
        .testTarget(name: "QueryTests", dependencies: ["Query", "SegmentStore", "FlowCore"]),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "Capture", "Policy", "SegmentStore", "FlowCore", "FlowTestSupport"]
        ),
        .testTarget(
            name: "ClickHouseTests",
            dependencies: ["ClickHouse", "Query", "SegmentStore", "FlowCore"]
        ),
        .testTarget(
            name: "ConfigAuditTests",
            dependencies: ["ConfigAudit", "Policy", "FlowCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "flowlogTests",
            dependencies: ["FlowCore", "FlowTestSupport", "ClickHouse"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
