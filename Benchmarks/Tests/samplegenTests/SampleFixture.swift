import Foundation
import FlowCore
@testable import samplegen

/// A small generated sample in a fresh temporary directory.
struct SampleFixture {
    let directory: String
    let options: GeneratorOptions
    let generation: SampleGeneration

    static let arguments = ["--pods", "40", "--namespaces", "7", "--policies", "40", "--tiers", "4", "--flows", "800",
                            "--packets-per-flow", "8", "--external", "24", "--duration", "40"]

    init(seed: UInt64 = 42, extra: [String] = []) throws {
        let template = NSTemporaryDirectory() + "samplegen-test-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw FlowlogError(.io, "mkdtemp failed") }
        directory = String(cString: made)
        options = try GeneratorOptions(arguments: ["--out", directory, "--seed", String(seed)] + Self.arguments + extra)
        generation = try SampleGeneration(options)
    }

    func contents(_ relativePath: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: directory + "/" + relativePath))
    }

    func manifestFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory + "/cluster").filter { $0.hasSuffix(".yaml") }.sorted()
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}
