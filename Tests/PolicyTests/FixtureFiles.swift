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
}
