import FlowCore
import Testing
import Yams
@testable import Policy

/// The loader parses without tag resolution and finds fields by text; these check that it
/// finds exactly what Yams' resolving `mapping[key]` found before, and reports the same errors.
@Suite struct ManifestFieldLookupTests {
    /// Mappings covering plain, quoted, tagged, duplicate, null, numeric-looking and flow-style keys.
    static let documents = [
        "metadata: {name: a}\nspec: 1",
        "\"metadata\": {\"name\": \"a\"}\n'spec': x",
        "!!str metadata: a\n! spec: b\n!!int ports: 3",
        "metadata: first\nmetadata: second",
        "? metadata\n: complex\nspec:",
        "80: port\ntrue: yes\nnull: ~\n~: tilde\n'': empty\nprotocol: TCP",
        "{kind: Pod, apiVersion: v1, metadata: {labels: {app: web}}}",
        "[metadata, spec]",
        "metadata",
    ]
    static let keys = ["metadata", "spec", "ports", "name", "kind", "apiVersion", "protocol", "labels", "80", "true", "null", "~", ""]

    @Test(arguments: documents)
    func lookupAgreesWithResolvingSubscript(_ text: String) throws {
        let resolving = try #require(try Yams.compose(yaml: text))
        let read = YAMLDocumentReader.read(text, file: "t.yaml")
        let plain = try #require(read.documents.first)
        for key in Self.keys where !Self.readsAsNonString(key) {
            let expected = resolving.mapping?[key]
            let found = plain.value(of: key)
            #expect(found?.scalarText == expected?.scalar?.string, "key '\(key)' in \(text)")
            #expect((found?.isMapping == true ? found?.pairCount : nil) == expected?.mapping?.count, "key '\(key)' in \(text)")
            #expect((found == nil) == (expected == nil), "key '\(key)' in \(text)")
        }
    }

    /// Keys the default resolver would read as numbers, bools or null: the loader never asks
    /// for one (field names are words), so only word keys must agree.
    static func readsAsNonString(_ key: String) -> Bool {
        ["80", "true", "null", "~", ""].contains(key)
    }

    @Test func numbersBoolsAndNullsAreStillReadFromText() throws {
        let cluster = try ClusterLoader.load(text: """
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: shop, labels: {version: 2, canary: true, empty: ~}}
        spec: {hostNetwork: false}
        status: {podIP: 10.0.0.1}
        """)
        let pod = try #require(cluster.pods.first)
        #expect(pod.labels == ["version": "2", "canary": "true", "empty": ""])
    }

    @Test func errorsKeepFileLineAndColumn() throws {
        let text = """
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: shop}
        spec:
          selector: all()
          order: "ten"
          ingress:
          - action: Allow
            protocol: TCP
            destination: {ports: [70000]}
        """
        let failure = try #require(throws: ClusterLoadError.self) { try ClusterLoader.load(text: text, name: "p.yaml") }
        let messages = failure.errors.map(\.description)
        // As the resolving loader reported them.
        #expect(messages.contains { $0.hasSuffix("p.yaml:6:10, spec.order: NetworkPolicy shop/p: 'ten' is not a number") }, "\(messages)")
        #expect(messages.contains {
            $0.hasSuffix("p.yaml:10:27, spec.ingress[0].destination.ports[0]: NetworkPolicy shop/p: port 70000 is outside 0...65535")
        }, "\(messages)")
    }
}
