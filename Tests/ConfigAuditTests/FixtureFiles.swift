import Foundation

/// Paths inside the test bundle's copied fixtures.
enum FixtureFiles {
    static var root: URL { Bundle.module.url(forResource: "Fixtures", withExtension: nil)! }
    static var pss: URL { root.appendingPathComponent("pss") }

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func text(_ relative: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
    }

    /// Every Kubernetes pod-security-admission fixture: level, version, expected verdict, file.
    static func podSecurityCases() -> [(level: String, version: String, pass: Bool, file: URL)] {
        var cases: [(String, String, Bool, URL)] = []
        let fm = FileManager.default
        for level in ["baseline", "restricted"] {
            let levelDir = pss.appendingPathComponent(level)
            for version in ((try? fm.contentsOfDirectory(atPath: levelDir.path)) ?? []).sorted() {
                for verdict in ["pass", "fail"] {
                    let dir = levelDir.appendingPathComponent(version).appendingPathComponent(verdict)
                    for name in ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() where name.hasSuffix(".yaml") {
                        cases.append((level, version, verdict == "pass", dir.appendingPathComponent(name)))
                    }
                }
            }
        }
        return cases
    }
}
