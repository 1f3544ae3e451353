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
        #expect(out.stderr.contains("flowlog: error: \(file):5:"))
        #expect(out.stderr.contains("spec.containers[0].ports[0].hostPort"))

        let missing = try FlowlogRunner.run(["config", "pss", "--level", "restricted", file + ".absent"])
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("no such file or directory"))
    }

    @Test func badFlagsAreRefusedBeforeReading() throws {
        let level = try FlowlogRunner.run(["config", "pss", "--level", "strict", Self.fixtures + "/pss"])
        #expect(level.status == 64)
        #expect(level.stderr.contains("baseline or restricted"))
        let version = try FlowlogRunner.run(["config", "pss", "--level", "baseline", "--version", "1.30", Self.fixtures + "/pss"])
        #expect(version.stderr.contains("latest or v1.N"))
    }
}

/// `flowlog config cis` end to end: table, JSON and CSV, kube-bench import, settings, exit codes.
@Suite struct ConfigCISCommandTests {
    static let fixtures = ConfigPSSCommandTests.fixtures

    @Test func clusterAndKubeBenchAsJSON() throws {
        let out = try FlowlogRunner.run(["config", "cis", "--cluster", Self.fixtures + "/cis",
                                         "--kube-bench", Self.fixtures + "/kube-bench/control-plane-1.json", "worker=" + Self.fixtures + "/kube-bench/worker-1.json",
                                         "--settings", Self.fixtures + "/cis-settings.yaml", "--date", "2026-12-06", "-o", "json"])
        #expect(out.status == 1, "\(out.stderr)")
        let report = try FlowlogRunner.json(out.stdout)
        let nodes = try #require(report["nodes"] as? [[String: Any]])
        #expect(nodes.map { $0["node"] as? String } == ["cluster", "control-plane-1", "worker"])
        let results = try #require(report["results"] as? [[String: Any]])
        let cis532 = try #require(results.first { $0["number"] as? String == "5.3.2" })
        #expect(cis532["status"] as? String == "FAIL")
        let offenders = try #require(cis532["offenders"] as? [[String: Any]])
        #expect(offenders.allSatisfy { $0["object"] as? String == "Namespace legacy" })
        let excluded = try #require(report["excluded"] as? [[String: Any]])
        let exclusion = try #require(excluded.first?["exclusion"] as? [String: Any])
        #expect(exclusion["test"] as? String == "5.4.1" && exclusion["expires"] as? String == "2099-12-31")
        #expect((exclusion["reason"] as? String)?.hasPrefix("the legacy web tier") == true)
        #expect(!results.contains { $0["number"] as? String == "5.4.1" })
    }

    @Test func tableAndCSV() throws {
        let table = try FlowlogRunner.run(["config", "cis", "--cluster", Self.fixtures + "/cis", "--date", "2026-12-06"])
        #expect(table.status == 1)
        #expect(table.stdout.contains("CIS Kubernetes Benchmark v1.9.0 — 2026-12-06"))
        #expect(table.stdout.contains("unscored tests left out"))
        #expect(table.stdout.contains("cluster          5.1.1     FAIL   yes"))
        #expect(!table.stdout.contains(" 5.3.2 "))

        let csv = try FlowlogRunner.run(["config", "cis", "--cluster", Self.fixtures + "/cis", "--include-unscored", "-o", "csv"])
        let lines = csv.stdout.split(separator: "\n")
        #expect(lines.first == "nodeName,testIndex,testDescription,status,scored,remediation,offendingObjects,exclusionReason,exclusionExpires")
        #expect(lines.contains { $0.hasPrefix("cluster,5.3.2,Ensure that all Namespaces have NetworkPolicies defined,FAIL,false,") })
        #expect(lines.count == 36)
    }

    @Test func kubeBenchAloneAndAPassingRunExit0() throws {
        let dir = FlowlogRunner.temporaryPath("kb")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[{\"id\":\"4\",\"detected_version\":\"1.30\",\"tests\":[{\"section\":\"4.1\",\"desc\":\"Worker Node Configuration Files\",\"results\":[{\"test_number\":\"4.1.1\",\"test_desc\":\"t\",\"status\":\"PASS\",\"scored\":true,\"remediation\":\"r\"}]}]}]".write(toFile: dir + "/n1.json", atomically: true, encoding: .utf8)
        let out = try FlowlogRunner.run(["config", "cis", "--kube-bench", dir + "/n1.json"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("n1               1.30       HIGH    100%"))
    }

    @Test func unreadableInputExits2() throws {
        let out = try FlowlogRunner.run(["config", "cis", "--cluster", Self.fixtures + "/cis", "--settings", Self.fixtures + "/pss/workloads.yaml.absent"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("flowlog: error: "))
        #expect(out.stderr.contains("cannot read the file"))
        let none = try FlowlogRunner.run(["config", "cis"])
        #expect(none.status == 64 && none.stderr.contains("--cluster, --kube-bench, or both"))
    }
}
