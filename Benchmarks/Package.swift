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
    ],
    targets: [
        // Writes a deterministic synthetic capture and the matching cluster manifests.
        .executableTarget(name: "samplegen", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "FlowTestSupport", package: "flowlog"),
        ]),
        .executableTarget(name: "capture-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "Capture", package: "flowlog"),
        ]),
        .executableTarget(name: "ring-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "FlowRing", package: "flowlog"),
        ]),
        .executableTarget(name: "policy-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "Policy", package: "flowlog"),
        ]),
        .executableTarget(name: "store-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "SegmentStore", package: "flowlog"),
        ]),
        .executableTarget(name: "query-bench", dependencies: [
            .product(name: "FlowCore", package: "flowlog"),
            .product(name: "SegmentStore", package: "flowlog"),
            .product(name: "Query", package: "flowlog"),
        ]),
    ],
    swiftLanguageModes: [.v5]
)
