// swift-tools-version:6.0
//
// flowlog: packets → bidirectional flows → Calico policy verdicts → LZ4 segments → queries.
//
// Stages are modules and depend one way only:
//
//   FlowCore ← Capture ← FlowRing ← Policy ← SegmentStore ← Query ← Pipeline ← flowlog
//
// and on the evidence side, reading from those stages and never read by them:
//
//   Policy ← Audit (versions of cluster objects from Kubernetes audit events)
//   SegmentStore, Audit ← Evidence (hashes, the signed digest chain, verification, bundles)
//   SegmentStore, Query, Policy, Audit, Reports ← ClickHouse (export to ClickHouse, the query language as SQL)
//   Policy, Query ← SIEMConfig (the SIEM sinks' schema); SegmentStore, Query, Audit, Reports,
//   SIEMConfig ← SIEMExport (flows, policy versions and findings to Splunk HEC, Elasticsearch
//   _bulk and syslog, through a spool per sink)
//
// (each stage imports FlowCore and the C library it owns; `Pipeline` wires the stages;
// the `flowlog` executable is a thin layer of subcommands over them). Evidence-side modules
// (`ConfigAudit`, then `Reports`, which also reads ConfigAudit's CIS results) read from the
// stages (Policy, SegmentStore) and nothing reads from them.
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
        .library(name: "Reports", targets: ["Reports"]),
        .library(name: "Audit", targets: ["Audit"]),
        .library(name: "Evidence", targets: ["Evidence"]),
        .library(name: "SIEMConfig", targets: ["SIEMConfig"]),
        .library(name: "SIEMExport", targets: ["SIEMExport"]),
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
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.27.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
    ],
    targets: [
        // C libraries, each seen by exactly one Swift module.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        // libyaml's event parser, for the nesting check before text reaches Yams (whose
        // composer recurses once per level). Yams carries its own copy of the same library
        // version, hidden from its dependents; the API and struct layouts are identical.
        .systemLibrary(
            name: "CLibYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        .systemLibrary(
            name: "CLZ4",
            pkgConfig: "liblz4",
            providers: [.apt(["liblz4-dev"])]
        ),
        // The compiler's prefetch hint (no library): the flow cache starts its lookups early.
        .systemLibrary(name: "CPrefetch"),

        // Value types shared by every stage; no I/O.
        .target(name: "FlowCore"),

        // Stage 1: libpcap capture, link/IP/transport decoding, the flow cache.
        .target(name: "Capture", dependencies: ["FlowCore", "CPcap", "CPrefetch"]),

        // Stage 2: the lock-free single-producer single-consumer ring between threads.
        .target(
            name: "FlowRing",
            dependencies: ["FlowCore", .product(name: "Atomics", package: "swift-atomics")]
        ),

        // Stage 3: cluster model, Calico selectors, tiers and policies, per-flow verdicts.
        .target(name: "Policy", dependencies: ["FlowCore", "Yams", "CLibYAML", "CPrefetch"]),

        // Stage 4: LZ4-compressed append-only segments with block indexes.
        .target(name: "CCRC32C"),
        .target(name: "SegmentStore", dependencies: ["FlowCore", "CLZ4", "CCRC32C", "CPrefetch"]),

        // Stage 5: filter language, block pruning, aggregation and output formats.
        .target(name: "Query", dependencies: ["FlowCore", "SegmentStore", "Policy"]),

        // Evidence side: versions of cluster objects from Kubernetes audit events, and the
        // state of the cluster at any instant.
        .target(
            name: "Audit",
            dependencies: ["FlowCore", "Policy", "Yams", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // Evidence side: SHA-256 of sealed files, the Ed25519-signed digest chain, verification
        // and offline bundles. Learns about sealed files through `SealObserver`.
        .target(
            name: "Evidence",
            dependencies: ["FlowCore", "SegmentStore", "Audit", .product(name: "Crypto", package: "swift-crypto")]
        ),

        // Wiring: replay and the node agent (threads, ring, metrics, reload, lifecycle).
        .target(
            name: "Pipeline",
            dependencies: [
                "FlowCore", "Capture", "FlowRing", "Policy", "SegmentStore", "Audit", "Evidence", "Reports",
                "Yams",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The release executable carries the Swift runtime and Foundation: resolving their
            // symbols across a dozen shared libraries was most of a short command's time
            // (`flowlog --version` 11 ms of CPU dynamic, 6.6 ms static; Benchmarks/README.md).
            linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xlinker", "--start-group", "-lFoundation", "-lFoundationEssentials",
                                             "-lFoundationInternationalization", "-lCoreFoundation", "-l_FoundationICU",
                                             "-l_FoundationCollections", "-l_FoundationCShims", "-Xlinker", "--end-group"],
                                            .when(platforms: [.linux], configuration: .release))]
        ),

        // Evidence side: continuous export of stored flows to ClickHouse, and the filter language
        // translated to ClickHouse SQL. Reads from the store and the query stage, never the reverse.
        .target(
            name: "ClickHouse",
            dependencies: [
                "FlowCore", "SegmentStore", "Query", "Policy", "Audit", "Reports",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // Evidence side: flows, policy versions and compliance findings to SIEMs (Splunk HEC,
        // Elasticsearch/OpenSearch _bulk, RFC 5424 syslog over UDP/TCP/TLS), each sink behind a
        // bounded on-disk spool. Reads from the stages and the other evidence modules, never the reverse.
        // Its configuration schema and reader alone (no network code), shared by the command,
        // the agent and the fuzz target.
        .target(name: "SIEMConfig", dependencies: ["FlowCore", "Policy", "Query", "Yams"]),
        .target(
            name: "SIEMExport",
            dependencies: [
                "FlowCore", "SegmentStore", "Query", "Audit", "Reports", "SIEMConfig",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),

        // Evidence side: Pod Security Standards, the CIS Kubernetes Benchmark and compliance
        // packs, judged on the manifests the policy stage loads (reads Policy, never the reverse).
        .target(
            name: "ConfigAudit",
            dependencies: ["FlowCore", "Policy", "SegmentStore", "Query", "Yams"],
            resources: [.copy("Packs/packs")]
        ),
        // Evidence side: compliance reports (GlobalReport-compatible) from policy state and stored flows.
        .target(name: "Reports", dependencies: ["FlowCore", "Policy", "SegmentStore", "ConfigAudit", "Audit", "Yams"]),

        .executableTarget(
            name: "flowlog",
            dependencies: [
                "FlowCore", "Capture", "FlowRing", "Policy", "SegmentStore", "Query", "Pipeline", "ConfigAudit", "Reports", "Audit", "Evidence", "ClickHouse", "SIEMConfig", "SIEMExport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // Test, sample and benchmark tooling, not a stage: a pcap writer and packet builders for
        // hand-made captures, and the synthetic Kubernetes cluster and flow generator.
        .target(name: "FlowTestSupport", dependencies: ["FlowCore"]),
        // Writes a synthetic store; the crash-recovery tests kill it mid-write.
        .executableTarget(
            name: "storegen",
            dependencies: ["FlowCore", "SegmentStore", "FlowTestSupport", "Pipeline", "Evidence",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/Tools/storegen"
        ),

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
        .testTarget(name: "SegmentStoreTests", dependencies: ["SegmentStore", "FlowCore", "FlowTestSupport", "storegen"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "QueryTests", dependencies: ["Query", "SegmentStore", "FlowCore"]),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "Capture", "Policy", "SegmentStore", "FlowCore", "FlowTestSupport", "Reports",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client")]
        ),
        .testTarget(
            name: "ClickHouseTests",
            dependencies: ["ClickHouse", "Query", "SegmentStore", "Audit", "FlowCore", "FlowTestSupport"],
            // The chdb HTTP shim, run by path (Python, not a bundle resource).
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "SIEMExportTests",
            dependencies: [
                "SIEMExport", "SIEMConfig", "SegmentStore", "Query", "FlowCore", "FlowTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]
        ),
        .testTarget(
            name: "ConfigAuditTests",
            dependencies: ["ConfigAudit", "Policy", "FlowCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "ReportsTests",
            dependencies: ["Reports", "Policy", "SegmentStore", "ConfigAudit", "Audit", "FlowCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "AuditTests",
            dependencies: ["Audit", "Policy", "FlowCore", "Yams"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "EvidenceTests",
            dependencies: ["Evidence", "Audit", "SegmentStore", "FlowCore", "FlowTestSupport"]
        ),
        .testTarget(
            name: "flowlogTests",
            dependencies: ["FlowCore", "FlowTestSupport", "storegen", "ClickHouse"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
