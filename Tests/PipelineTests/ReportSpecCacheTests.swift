import Foundation
import Testing
import FlowCore
@testable import Pipeline
import Reports

@Suite("Report spec cache against reading every time")
struct ReportSpecCacheTests {
    /// What a load found, in a comparable form.
    static func summary(_ found: (specs: [ReportSpec], errors: [FlowlogError])) -> [String] {
        found.specs.map { "spec \($0.name) \($0.origin) \($0.schedule?.text ?? "-")" } + found.errors.map { "error \($0)" }
    }

    static func report(_ name: String, schedule: String) -> String {
        "apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata: {name: \(name)}\nspec: {reportType: network-access, schedule: '\(schedule)'}\n"
    }

    static let namespace = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"

    /// Random contents: reports (some names repeated across files, so duplicates come and go),
    /// other manifests, broken YAML.
    static func contents(_ random: inout SplitMix64) -> String {
        var documents: [String] = []
        for _ in 0..<Int(random.below(4)) {
            switch Int(random.below(6)) {
            case 0, 1, 2:
                documents.append(report("r\(Int(random.below(6)))",
                                        schedule: random.pick(["@hourly", "@daily", "0 * * * *"])))
            case 3, 4: documents.append(namespace)
            default: documents.append("kind: GlobalReport\nmetadata: [unclosed\n")
            }
        }
        return documents.joined(separator: "---\n")
    }

    @Test("random edits, renames, new and removed files, nested directories: the cache answers as a fresh read", arguments: 1...4)
    func randomEdits(seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        let directory = try TemporaryDirectory()
        let root = directory.path
        try FileManager.default.createDirectory(atPath: root + "/nested/deeper", withIntermediateDirectories: true)
        let names = ["a.yaml", "b.yml", "c.json", "notes.txt", "nested/d.yaml", "nested/deeper/e.yaml"]
        let single = root + "/single.yaml"
        let paths = [root, single]
        var cache = ReportSpecCache()
        var changesMade = 0
        for round in 0..<40 {
            // Zero to three changes a round; a round without any checks the cache is used.
            for _ in 0..<Int(random.below(4)) {
                let target = random.below(2) == 0 ? single : root + "/" + random.pick(names)
                switch Int(random.below(4)) {
                case 0:
                    try? FileManager.default.removeItem(atPath: target)
                default:
                    // Replaced through a rename, as editors and ConfigMap volumes do.
                    try Self.contents(&random).write(toFile: target, atomically: true, encoding: .utf8)
                }
                changesMade += 1
            }
            let cached = Self.summary(cache.load(paths: paths))
            let fresh = Self.summary(ReportSpecLoader.load(paths: paths))
            #expect(cached == fresh, "round \(round)")
        }
        #expect(changesMade > 0)
        #expect(cache.reads < 40, "the cache read every time")
    }

    @Test("unchanged files are read once; every refreshPasses-th look reads again")
    func readsOnlyWhenChanged() throws {
        let directory = try TemporaryDirectory()
        try Self.report("hourly", schedule: "@hourly").write(toFile: directory.path + "/r.yaml", atomically: true, encoding: .utf8)
        var cache = ReportSpecCache()
        for _ in 0..<5 { #expect(Self.summary(cache.load(paths: [directory.path])) == ["spec hourly \(directory.path)/r.yaml @hourly"]) }
        #expect(cache.reads == 1)
        try Self.report("daily", schedule: "@daily").write(toFile: directory.path + "/r.yaml", atomically: true, encoding: .utf8)
        #expect(Self.summary(cache.load(paths: [directory.path])) == ["spec daily \(directory.path)/r.yaml @daily"])
        #expect(cache.reads == 2)
        for _ in 0..<ReportSpecCache.refreshPasses { _ = cache.load(paths: [directory.path]) }
        #expect(cache.reads == 3)
    }
}
