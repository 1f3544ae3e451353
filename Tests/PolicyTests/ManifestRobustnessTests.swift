import FlowCore
import Foundation
import Testing
@testable import Policy

/// Hostile and careless manifests: nesting that would overflow Yams' recursion, aliases that
/// expand without bound, and objects that load but deserve a warning.
@Suite struct ManifestRobustnessTests {
    func loadError(_ text: String) -> ClusterLoadError? {
        do {
            _ = try ClusterLoader.load(text: text, name: "hostile.yaml")
            return nil
        } catch let error as ClusterLoadError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    /// The issue's inputs: 5,000 nested `[` and 3,000 nested block mappings.
    @Test func deepFlowNestingIsAnErrorWithLineAndColumn() throws {
        let text = "apiVersion: v1\nkind: Pod\nmetadata: " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "\n"
        let error = try #require(loadError(text)?.errors.first)
        #expect(error.code == .parse)
        #expect(error.message.contains("nested more than \(YAMLPrecheck.maximumDepth) levels deep"))
        #expect(error.location?.file == "hostile.yaml")
        #expect(error.location?.line == 3)
        #expect(error.location?.column == 11 + YAMLPrecheck.maximumDepth - 1)
    }

    @Test func deepBlockNestingIsAnError() throws {
        var text = ""
        for level in 0..<3_000 { text += String(repeating: " ", count: level) + "k\(level):\n" }
        text += String(repeating: " ", count: 3_000) + "leaf\n"
        let error = try #require(loadError(text)?.errors.first)
        #expect(error.message.contains("nested more than"))
        #expect(error.location?.line == YAMLPrecheck.maximumDepth + 1)
        // JSON nests the same way.
        let json = String(repeating: "{\"a\": ", count: 4_000) + "1" + String(repeating: "}", count: 4_000)
        #expect(loadError(json)?.errors.first?.message.contains("nested more than") == true)
    }

    @Test func nestingUpToTheLimitStillLoads() throws {
        let depth = YAMLPrecheck.maximumDepth
        let text = "apiVersion: v1\nkind: Namespace\nmetadata: {name: deep, labels: {a: b}}\nextra: "
            + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "\n"
        let cluster = try ClusterLoader.load(text: text)
        #expect(cluster.namespaces["deep"] != nil)
    }

    /// Nine levels of ten aliases each would expand to 10^9 nodes.
    @Test func exponentialAliasesAreRefused() throws {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            text += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        let error = try #require(loadError(text)?.errors.first)
        #expect(error.message.contains("aliases expand to more than"))
        #expect(error.location?.line != nil && error.location?.column != nil)
        // A few ordinary aliases are fine.
        _ = try YAMLPrecheck.check("base: &b {app: web}\nother: *b\nthird: *b\n", file: nil)
    }

    @Test func invalidYAMLIsStillReportedBySyntax() throws {
        let error = try #require(loadError("apiVersion: v1\nkind: Pod\nmetadata: {name: broken\n")?.errors.first)
        #expect(error.message.contains("YAML/JSON syntax"))
        #expect(error.location?.line != nil)
    }

    @Test func duplicateKeysAreWarnedWithBothPlaces() throws {
        let cluster = try ClusterLoader.load(text: """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              name: shop2
            """)
        let warning = try #require(cluster.warnings.first { $0.message.contains("duplicate key 'name'") })
        #expect(warning.message.contains("first at line 4, column 3"))
        #expect(warning.location?.line == 5 && warning.location?.column == 3)
        #expect(cluster.namespaces["shop2"] != nil)
    }

    @Test func duplicatePodsAndSharedAddressesAreWarned() throws {
        let cluster = try ClusterLoader.load(text: """
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: shop}
            status: {podIP: 10.0.0.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: a, namespace: shop}
            status: {podIP: 10.0.0.1}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: b, namespace: shop}
            status: {podIP: 10.0.0.1}
            """, name: "pods.yaml")
        let texts = cluster.warnings.map(\.description)
        #expect(texts.contains { $0.contains("pod shop/a is defined more than once (first at pods.yaml:1:1") }, "\(texts)")
        #expect(texts.contains { $0.contains("address 10.0.0.1 also belongs to pod shop/a") && $0.contains("Pod shop/b") }, "\(texts)")
        #expect(texts.count == 2, "\(texts)")
    }

    @Test func missingAndUnknownAPIVersionsAreWarned() throws {
        let cluster = try ClusterLoader.load(text: """
            kind: Pod
            metadata: {name: a, namespace: shop}
            status: {podIP: 10.0.0.1}
            ---
            apiVersion: projectcalico.org/v9
            kind: GlobalNetworkPolicy
            metadata: {name: p}
            spec: {selector: all(), types: [Ingress]}
            ---
            apiVersion: example.com/v1
            kind: NetworkPolicy
            metadata: {name: q, namespace: shop}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: d, namespace: shop}
            """, name: "versions.yaml")
        let texts = cluster.warnings.map(\.description)
        #expect(texts.contains { $0.contains("Pod shop/a: missing apiVersion; the object is skipped") }, "\(texts)")
        #expect(texts.contains { $0.contains("apiVersion projectcalico.org/v9 is not a version flowlog knows; read as projectcalico.org/v3") }, "\(texts)")
        #expect(texts.contains { $0.contains("apiVersion example.com/v1 is not one flowlog reads for NetworkPolicy") }, "\(texts)")
        #expect(!texts.contains { $0.contains("Deployment") }, "kinds flowlog never reads are only counted")
        #expect(cluster.pods.isEmpty)
        #expect(cluster.policies.count == 1)
    }

    /// Labels are bounded as Kubernetes bounds them; each overlong part is an error at its key.
    @Test func overlongLabelsAreErrorsAtTheirKey() throws {
        let longValue = String(repeating: "v", count: 64)
        let longName = String(repeating: "n", count: 64)
        let longPrefix = String(repeating: "p", count: 254)
        let text = """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels:
                ok: \(String(repeating: "v", count: 63))
                \(String(repeating: "q", count: 253))/\(String(repeating: "n", count: 63)): fine
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-1
              namespace: shop
              labels:
                app: \(longValue)
                \(longName): x
                \(longPrefix)/name: x
                example.com/: x
            status: {podIP: 10.0.0.1}

            """
        let errors = try #require(loadError(text)?.errors)
        #expect(errors.count == 4)
        let byLine = Dictionary(uniqueKeysWithValues: errors.map { ($0.location?.line ?? 0, $0) })
        #expect(byLine[15]?.message.contains("label value is 64 bytes long; Kubernetes allows at most 63") == true)
        #expect(byLine[15]?.location?.column == 5)
        #expect(byLine[15]?.location?.field == "metadata.labels.app")
        #expect(byLine[16]?.message.contains("label name is 64 bytes long") == true)
        #expect(byLine[17]?.message.contains("label key prefix is 254 bytes long; Kubernetes allows at most 253") == true)
        #expect(byLine[18]?.message.contains("label key has an empty name") == true)
        #expect(errors.allSatisfy { $0.location?.file == "hostile.yaml" && $0.message.hasPrefix("Pod shop/web-1") })
    }

    @Test func overlongFilesAreRefusedBeforeReading() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString).yaml").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.truncate(atOffset: UInt64(YAMLPrecheck.maximumBytes) + 1)
        try handle.close()
        let (_, errors) = ClusterLoader.inspect(paths: [path])
        #expect(errors.first?.message.contains("at most \(YAMLPrecheck.maximumBytes) are read") == true)
    }
}
