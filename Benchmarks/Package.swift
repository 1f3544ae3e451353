// swift-tools-version:6.0
//
// Benchmarks live in their own package so the product's build and test never compile them.
// Run everything with `Benchmarks/run.sh` (see Benchmarks/README.md).
import PackageDescription

let package = Package(
    name: "flowlog-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "flowlog", path: ".."),
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.2.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.0"),
    ],
    targets: [
        // Writes a deterministic synthetic capture and the matching cluster manifests.
        .executableTarget(name: "samplegen", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
        ]),
        // Writes a kube-apiserver audit log (a busy cluster's mix) for the evidence benchmark.
        .executableTarget(name: "auditgen"),
        .executableTarget(name: "capture-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "Capture", package: "flowlog"),
        ]),
        .executableTarget(name: "ring-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "FlowRing", package: "flowlog"),
        ]),
        // The synthetic cluster (pods, network sets, policies in tiers) and traffic the policy
        // and report benchmarks share.
        .target(name: "BenchCluster", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
        ]),
        .executableTarget(name: "policy-bench", dependencies: [
            "BenchCluster",
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "Capture", package: "flowlog"),
            .product(name: "Policy", package: "flowlog"),
        ]),
        .executableTarget(name: "report-bench", dependencies: [
            "BenchCluster",
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "Policy", package: "flowlog"),
            .product(name: "SegmentStore", package: "flowlog"),
        ]),
        .executableTarget(name: "store-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "SegmentStore", package: "flowlog"),
            .product(name: "FlowTestSupport", package: "flowlog"),
        ]),
        .executableTarget(name: "query-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "SegmentStore", package: "flowlog"),
            .product(name: "Query", package: "flowlog"),
            .product(name: "FlowTestSupport", package: "flowlog"),
        ]),
        // samplegen's own checks: determinism, a well-formed capture, manifests that parse,
        // traffic whose answered/unanswered connections match what the policies allow.
        .testTarget(name: "samplegenTests", dependencies: [
            "samplegen",
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "Yams", package: "Yams"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
