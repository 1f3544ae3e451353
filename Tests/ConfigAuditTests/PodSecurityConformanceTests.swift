import ConfigAudit
import Foundation
import Testing

/// Kubernetes' own pod-security-admission fixtures (copied under Fixtures/pss with their
/// license): each must be allowed under `pass` and denied under `fail`, at its level and
/// version, both as a Pod and as the pod template of a Deployment.
@Suite struct PodSecurityConformanceTests {
    static let expectedFixtureCount = 4537

    /// Baseline checks a restricted check replaces (pod-security-admission's overrides), for the
    /// versions where the replacement exists.
    static let restrictedReplacements = [
        "hostpathvolumes": "restrictedVolumes", "seccompprofile_baseline": "seccompProfile_restricted",
        "capabilities_baseline": "capabilities_restricted", "procmount": "procMount_restricted",
    ]

    static func judge(_ text: String, file: String, level: String, version: String) throws -> PodSecurityResult {
        var reader = ManifestReader()
        reader.read(text: text, file: file)
        let policy = PodSecurityPolicy(level: PodSecurityLevel(label: level)!, version: PodSecurityVersion(label: version)!)
        let audit = PodSecurityAudit(objects: reader.objects, policy: policy, problems: reader.problems)
        #expect(audit.errors.isEmpty, "\(file): \(audit.errors)")
        #expect(audit.results.count == 1, "\(file)")
        return try #require(audit.results.first)
    }

    /// The fixture's metadata and spec, indented under a Deployment's `spec.template`.
    static func asDeployment(_ pod: String) -> String {
        var lines = ["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: wrapped", "  namespace: ns", "spec:", "  template:"]
        for line in pod.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("apiVersion:") || line.hasPrefix("kind:") { continue }
            lines.append(line.isEmpty ? "" : "    " + line)
        }
        return lines.joined(separator: "\n")
    }

    @Test func everyFixturePassesAsPodAndAsDeploymentTemplate() throws {
        let cases = FixtureFiles.podSecurityCases()
        #expect(cases.count == Self.expectedFixtureCount)
        var mismatches: [String] = []
        var agreed = 0
        for c in cases {
            let text = try String(contentsOf: c.file, encoding: .utf8)
            let relative = "\(c.level)/\(c.version)/\(c.pass ? "pass" : "fail")/\(c.file.lastPathComponent)"
            let pod = try Self.judge(text, file: relative, level: c.level, version: c.version)
            let deployment = try Self.judge(Self.asDeployment(text), file: relative + " (Deployment)", level: c.level, version: c.version)
            #expect(deployment.kind == "Deployment")
            if pod.allowed != c.pass { mismatches.append("\(relative): allowed=\(pod.allowed) \(pod.violations.map(\.message))") }
            if deployment.allowed != c.pass { mismatches.append("\(relative) as Deployment: allowed=\(deployment.allowed)") }
            if deployment.violations != pod.violations { mismatches.append("\(relative): Deployment and Pod verdicts differ") }
            if pod.allowed == c.pass && deployment.allowed == c.pass { agreed += 1 }
            // A failing fixture is named after the check it exercises; that check must be among the violations
            // (base*.yaml and the pass fixtures aside).
            if !c.pass {
                var named = c.file.deletingPathExtension().lastPathComponent.trimmingCharacters(in: .decimalDigits)
                if c.level == "restricted", let replacement = Self.restrictedReplacements[named], pod.violations.contains(where: { $0.check == replacement }) {
                    named = replacement.lowercased()
                }
                if !pod.violations.contains(where: { $0.check.lowercased() == named }) {
                    mismatches.append("\(relative): no \(named) violation among \(pod.violations.map(\.check))")
                }
            }
        }
        let report = mismatches.prefix(40).joined(separator: "\n")
        let count = mismatches.count
        #expect(count == 0, "\(count) mismatches:\n\(report)")
        #expect(agreed == Self.expectedFixtureCount)
        print("pod-security-admission fixtures: \(agreed) of \(cases.count) agree as Pod and as Deployment template")
    }
}
