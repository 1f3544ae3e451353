import Foundation

/// Paths to the copied conformance data inside the test bundle.
enum FixtureFiles {
    static var conformance: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("conformance")
    }

    static func data(_ relative: String) throws -> Data {
        try Data(contentsOf: conformance.appendingPathComponent(relative))
    }

    static var tierCaseDirectories: [URL] {
        let tiers = conformance.appendingPathComponent("tiers")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tiers.path)) ?? []
        return names.sorted().map { tiers.appendingPathComponent($0) }
    }

    /// The project's own cases, in the conformance layout, for upstream behaviour the
    /// conformance cases miss (see `Fixtures/upstream/README.md`).
    static var upstream: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("upstream")
    }

    static var upstreamCaseNames: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: upstream.path)) ?? []).filter { !$0.hasSuffix(".md") }.sorted()
    }
}
