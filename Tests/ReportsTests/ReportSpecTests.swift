import FlowCore
import Foundation
import Testing
@testable import Reports

@Suite struct ReportSpecTests {
    @Test func readsEveryGlobalReportField() throws {
        let spec = try ReportSpecLoader.loadSingle(file: ReportFixtures.path("full-spec.yaml"))
        #expect(spec.name == "weekly-shop-inventory")
        #expect(spec.type == .inventory)
        #expect(spec.suspend)
        #expect(spec.schedule?.text == "0 0 * * 0")
        #expect(spec.endpoints.selector?.canonical == "app in {\"api\", \"frontend\"}")
        #expect(spec.endpoints.namespaces?.names == ["shop", "payments"])
        #expect(spec.endpoints.namespaces?.selector?.canonical == "env == \"prod\"")
        #expect(spec.endpoints.serviceAccounts?.names == ["api", "frontend"])
        #expect(spec.endpoints.serviceAccounts?.selector == nil)
        #expect(spec.cis.highThreshold == 90 && spec.cis.medThreshold == 40)
        #expect(spec.cis.includeUnscoredTests && spec.cis.numFailedTests == 10)
    }

    @Test func everyErrorNamesFileLineColumnAndField() throws {
        let file = ReportFixtures.path("bad-spec.yaml")
        let error = try #require(throws: ReportSpecError.self) { try ReportSpecLoader.loadSingle(file: file) }
        let text = error.errors.map(\.description)
        func find(_ field: String) -> FlowlogError? { error.errors.first { $0.location?.field == field } }
        #expect(find("metadata.name")?.location?.line == 4)
        #expect(find("metadata.name")?.message.contains("'Bad_Name' is not a valid name") == true)
        #expect(find("spec.reportType")?.location?.line == 6)
        #expect(find("spec.reportType")?.location?.column == 15)
        #expect(find("spec.reportType")?.message.contains("unknown report type 'traffic'") == true)
        #expect(find("spec.endpoints.selector")?.location?.line == 8)
        #expect(find("spec.endpoints.namespace")?.message.contains("unknown field") == true)
        #expect(find("spec.endpoints.namespace")?.location?.line == 9)
        #expect(find("spec.schedule")?.message.contains("30 times an hour") == true)
        #expect(find("spec.suspend")?.message.contains("'maybe' is not true or false") == true)
        #expect(find("spec.suspend")?.location?.line == 12)
        #expect(text.allSatisfy { $0.hasPrefix(file + ":") }, "\(text)")
        #expect(error.errors.count == 6, "\(text)")
    }

    @Test func wrongKindsAndCountsAreRefused() throws {
        let (none, noErrors) = ReportSpecLoader.parse(text: "apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", file: "f.yaml")
        #expect(none.isEmpty && noErrors.isEmpty)
        let wrongGroup = ReportSpecLoader.parse(text: "apiVersion: v1\nkind: GlobalReport\nmetadata: {name: x}\nspec: {reportType: inventory}\n", file: "g.yaml")
        #expect(wrongGroup.errors.first?.message.contains("apiVersion must be projectcalico.org/v3") == true)
        #expect(wrongGroup.errors.first?.location?.line == 1)
        let missing = ReportSpecLoader.parse(text: "apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata: {name: x}\nspec: {}\n", file: "h.yaml")
        #expect(missing.errors.first?.message.contains("missing required field spec.reportType") == true)
        let syntax = ReportSpecLoader.parse(text: "apiVersion: [unclosed\n", file: "s.yaml")
        #expect(syntax.errors.first?.code == .parse)
        #expect(syntax.errors.first?.location?.line != nil)
    }

    @Test func limitsHoldBeforeParsing() {
        let deep = String(repeating: "[", count: 100_000)
        let nested = ReportSpecLoader.parse(text: "a: " + deep, file: "deep.yaml")
        #expect(nested.errors.first?.message.contains("nesting deeper than 64") == true)
        #expect(nested.errors.first?.location?.column == 68)
        let big = ReportSpecLoader.parse(text: String(repeating: "#", count: ReportSpecLoader.maximumBytes + 1), file: "big.yaml")
        #expect(big.errors.first?.message.contains("at most \(ReportSpecLoader.maximumBytes)") == true)
        // Brackets inside quotes and comments do not count.
        let quoted = ReportSpecLoader.parse(text: "a: '\(deep)' # \(deep)\n", file: "q.yaml")
        #expect(quoted.errors.isEmpty)
    }

    @Test func reportsAmongManifestsAreFoundAndDuplicatesRefused() throws {
        let dir = ReportFixtures.temporaryDirectory("specs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = "apiVersion: projectcalico.org/v3\nkind: GlobalReport\nmetadata: {name: hourly}\nspec: {reportType: network-access, schedule: '@hourly'}\n"
        try (one + "---\napiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n").write(toFile: dir + "/a.yaml", atomically: true, encoding: .utf8)
        try one.write(toFile: dir + "/b.yaml", atomically: true, encoding: .utf8)
        try "apiVersion: v1\nkind: Namespace\nmetadata: {name: other}\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let (specs, errors) = ReportSpecLoader.load(paths: [dir])
        #expect(specs.count == 2)
        #expect(specs.allSatisfy { $0.name == "hourly" && $0.schedule?.text == "@hourly" })
        #expect(errors.count == 1 && errors[0].message.contains("defined more than once"))
    }
}
