import Foundation
import Testing

/// `flowlog config pss` end to end: the exact JSON-lines contract, exit codes, errors.
@Suite struct ConfigPSSCommandTests {
    static let fixtures = FlowlogRunner.packageRoot.appendingPathComponent("Tests/flowlogTests/Fixtures/config").path

    @Test func namespaceLevelsGiveTheGoldenJSONLinesAndExit1() throws {
        let out = try FlowlogRunner.run(["config", "pss", "--format", "json", Self.fixtures + "/pss"])
        #expect(out.status == 1, "\(out.stderr)")
        let golden = try String(contentsOfFile: Self.fixtures + "/pss/golden-namespace-levels.ndjson", encoding: .utf8)
        #expect(out.stdout == golden)
        for line in out.stdout.split(separator: "\n") {
            let object = try FlowlogRunner.json(String(line))
            #expect(Set(object.keys) == ["kind", "namespace", "name", "level", "version", "allowed", "violations"])
        }
    }

    @Test func anExplicitLevelAndVersionApplyToEveryObject() throws {
        let out = try FlowlogRunner.run(["config", "pss", "--level", "baseline", "--version", "v1.0", "--format", "json", Self.fixtures + "/pss/workloads.yaml"])
        #expect(out.status == 1)
        let lines = try out.stdout.split(separator: "\n").map { try FlowlogRunner.json(String($0)) }
        #expect(lines.map { $0["level"] as? String } == Array(repeating: "baseline", count: 4))
        #expect(lines.map { $0["version"] as? String } == Array(repeating: "v1.0", count: 4))
        #expect(lines.map { $0["allowed"] as? Bool } == [true, true, false, false])
    }

    @Test func allAllowedExits0AndTextNamesTheNamespacesPolicies() throws {
        let dir = FlowlogRunner.temporaryPath("pss-ok")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {containers: [{name: c}]}\n".write(toFile: dir + "/pod.yml", atomically: true, encoding: .utf8)
        let out = try FlowlogRunner.run(["config", "pss", "--level", "baseline", dir])
        #expect(out.status == 0)
        #expect(out.stdout.contains("allowed  Pod a/p  baseline:latest"))
        #expect(out.stdout.contains("1 object judged, 0 denied"))
    }

    @Test func unreadableInputExits2WithFileLineAndColumn() throws {
        let file = FlowlogRunner.temporaryPath("bad.yaml")
        try "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, ports: [{hostPort: many}]}]\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let out = try FlowlogRunner.run(["config", "pss", "--level", "restricted", "--format", "json", file])
        #expect(out.status == 2)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr.contains("\(file):5:"))
        #expect(out.stderr.contains("spec.containers[0].ports[0].hostPort"))

        let missing = try FlowlogRunner.run(["config", "pss", "--level", "restricted", file + ".absent"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file or directory"))
    }

    @Test func badFlagsAreRefusedBeforeReading() throws {
        let level = try FlowlogRunner.run(["config", "pss", "--level", "strict", Self.fixtures + "/pss"])
        #expect(level.status != 0 && level.status != 1)
        #expect(level.stderr.contains("baseline or restricted"))
        let version = try FlowlogRunner.run(["config", "pss", "--level", "baseline", "--version", "1.30", Self.fixtures + "/pss"])
        #expect(version.stderr.contains("latest or v1.N"))
    }
}
