import FlowCore
import Foundation
import Testing
@testable import Policy

/// The block-style scanner against libyaml's event parser, which it stands in for: on every
/// text, reading with the scanner first must give the same flat documents (every entry's kind,
/// style, tag, line, column and extent, the scalar bytes, the tag table), warnings and errors as
/// libyaml alone. Texts are generated in and around the scanner's subset (each outside feature
/// sends the text back to libyaml, which must then be what answers), damaged at random, and
/// taken from the project's real manifests.
@Suite struct BlockYAMLScannerTests {
    /// Compares both readings of `text` (`ManifestReadingCheck`); returns whether the scanner read it.
    @discardableResult
    static func compare(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if let difference = ManifestReadingCheck.difference(in: text) {
            Issue.record("\(text.debugDescription)\n\(difference)", sourceLocation: sourceLocation)
        }
        return ManifestReadingCheck.scannerReads(text)
    }

    /// Block-style texts: mostly inside the subset, with every construct it leaves to libyaml
    /// mixed in at a lower rate.
    struct BlockTextGenerator {
        var rng: SplitMix64

        mutating func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        mutating func chance(_ percent: Int) -> Bool { pick(100) < percent }
        mutating func one(_ choices: [String]) -> String { choices[pick(choices.count)] }

        mutating func key() -> String {
            if chance(1) { return String(repeating: "k", count: 1018 + pick(12)) }  // around libyaml's 1,024
            return one(["a", "b", "name", "kind", "app.kubernetes.io/name", "k8s-app", "x y", "-x", "?q", ":c", "a#b", "a:b",
                        "'q'", "'it''s'", "\"d\"", "''", "n1", "a ", "~", "null", "<<", "a'b"])
        }

        mutating func comment() -> String { one([" # c", " #", "  # a: b", "#x"]) }

        /// A value that ends its line (or, now and then, one the scanner leaves to libyaml).
        mutating func inlineValue() -> String {
            var value = chance(3)
                ? one(["[x]", "{a: b}", "\"tab\\t\"", "&a x", "*a", "!!str x", "|", ">-", "a: b", "- x", "'open", "\"open", "'x'y",
                       "{ }", "[] x", "@x", "`x", "%x", ",x", "]", "}", "a: ", "'a':"])
                : one(["web", "80", "10.0.0.1", "true", "null", "~", "a b", "x#y", "a:b", "-1", "?x", ":x", "http://h:80/p", "a, b",
                       "'single'", "'it''s'", "''", "'a: b'", "'# no'", "\"dq\"", "\"\"", "\"a: b\"", "{}", "[]", "x]", "a  b",
                       "'q'#c", "{}#c", "'it'''", "-", "a:", "x:y"])
            if chance(20) { value += comment() }
            if chance(10) { value += String(repeating: " ", count: 1 + pick(3)) }
            return value
        }

        /// Lines of a block mapping at `indent`.
        mutating func mapping(_ indent: Int, _ depth: Int) -> [String] {
            let pad = String(repeating: " ", count: indent)
            var lines: [String] = []
            for _ in 0..<(1 + pick(4)) {
                let head = pad + key() + ":"
                switch depth < 5 ? pick(10) : 0 {
                case 0...5:
                    lines.append(head + " " + inlineValue())
                case 6:
                    lines.append(head + (chance(30) ? comment() : chance(20) ? "   " : ""))  // empty value
                case 7:
                    lines.append(head)
                    lines += mapping(indent + [2, 2, 1, 4][pick(4)], depth + 1)
                case 8:
                    lines.append(head)
                    lines += sequence(indent, depth + 1)  // at the key's column
                default:
                    lines.append(head)
                    lines += sequence(indent + 2, depth + 1)
                }
                noise(&lines, indent)
            }
            return lines
        }

        /// Lines of a block sequence at `indent`.
        mutating func sequence(_ indent: Int, _ depth: Int) -> [String] {
            let pad = String(repeating: " ", count: indent)
            var lines: [String] = []
            for _ in 0..<(1 + pick(4)) {
                switch depth < 5 ? pick(30) : 0 {
                case 0...11:
                    lines.append(pad + "- " + inlineValue())
                case 12...20:
                    // A mapping starting on the dash's line.
                    let gap = [1, 1, 1, 3][pick(4)]
                    var inner = mapping(indent + 1 + gap, depth + 1)
                    inner[0] = pad + "-" + String(repeating: " ", count: gap) + inner[0].drop { $0 == " " }
                    lines += inner
                case 21...23:
                    lines.append(pad + "-" + (chance(30) ? comment() : ""))  // empty item
                case 24...28:
                    lines.append(pad + "-")
                    lines += chance(50) ? mapping(indent + 2, depth + 1) : sequence(indent + 2, depth + 1)
                default:
                    // A sequence starting on the dash's line (left to libyaml).
                    var inner = sequence(indent + 2, depth + 1)
                    inner[0] = pad + "- " + inner[0].drop { $0 == " " }
                    lines += inner
                }
                noise(&lines, indent)
            }
            return lines
        }

        /// Comments and blank lines at any column, now and then.
        mutating func noise(_ lines: inout [String], _ indent: Int) {
            if chance(6) { lines.append(String(repeating: " ", count: pick(indent + 3)) + "# note: x") }
            if chance(4) { lines.append(String(repeating: " ", count: pick(3))) }
        }

        mutating func text() -> String {
            var out = chance(20) ? one(["---\n", "--- \n", "# head\n", "\n"]) : ""
            for d in 0..<(1 + pick(3)) {
                if d > 0 { out += one(["---\n", "---\n", "---  \n", "---\n---\n", "--- # c\n", "...\n---\n"]) }
                let lines = chance(60) ? mapping(0, 0) : sequence(0, 0)
                out += lines.joined(separator: "\n") + "\n"
            }
            if chance(10) { out += one(["---\n", "---", "# end", "   "]) }
            if chance(10), out.hasSuffix("\n") { out.removeLast() }
            return out
        }

        /// The same text with one thing changed at a random place.
        mutating func damaged(_ text: String) -> String {
            var bytes = Array(text.utf8)
            guard bytes.count > 2 else { return text }
            let at = pick(bytes.count)
            switch pick(4) {
            case 0:
                return String(decoding: bytes[..<at], as: UTF8.self)
            case 1:
                bytes.insert(contentsOf: Array(one([" ", "-", ":", "'", "  x", "\n  ", "\t", "#", "\r", "é", "\n...\n", "%", "\u{85}", "\n -"]).utf8), at: at)
                return String(decoding: bytes, as: UTF8.self)
            case 2:
                bytes.remove(at: at)
                return String(decoding: bytes, as: UTF8.self)
            default:
                // A line pushed deeper: a continuation, a nested collection or an error.
                guard let newline = bytes[at...].firstIndex(of: UInt8(ascii: "\n")) else { return text }
                bytes.insert(contentsOf: Array(String(repeating: " ", count: 1 + pick(3)).utf8), at: newline + 1)
                return String(decoding: bytes, as: UTF8.self)
            }
        }
    }

    @Test func readsWhatLibyamlReads() {
        var generator = BlockTextGenerator(rng: SplitMix64(seed: 0xB10C))
        var texts = 0, scanned = 0, scannedWithWarnings = 0, libyamlErrors = 0
        for _ in 0..<2_500 {
            let text = generator.text()
            for variant in [text, generator.damaged(text)] {
                texts += 1
                if Self.compare(variant) {
                    scanned += 1
                    if !YAMLDocumentReader.read(variant, file: "t.yaml").warnings.isEmpty { scannedWithWarnings += 1 }
                } else if YAMLDocumentReader.read(variant, file: "t.yaml", reading: .libyamlOnly).error != nil {
                    libyamlErrors += 1
                }
            }
        }
        // Both paths are exercised often: the scanner reads a good share (duplicate keys
        // included), and libyaml reads or refuses the rest.
        #expect(scanned > texts / 5 && texts - scanned > texts / 5, "scanner read \(scanned) of \(texts)")
        #expect(scannedWithWarnings > 50 && libyamlErrors > 300, "\(scannedWithWarnings) scanned with warnings, \(libyamlErrors) libyaml errors")
        print("BlockYAMLScannerTests: \(texts) texts, the scanner read \(scanned) (\(scannedWithWarnings) with warnings), libyaml refused \(libyamlErrors)")
    }

    /// Manifests shaped as `kubectl get -o yaml` writes them (indentless sequences, quoted
    /// strings, empty flow maps): the scanner reads every one, as libyaml does.
    @Test func readsKubectlShapedManifests() {
        var rng = SplitMix64(seed: 0x6B75)
        var text = ""
        for i in 0..<300 {
            if i > 0 { text += "---\n" }
            text += """
            apiVersion: v1
            kind: Pod
            metadata:
              creationTimestamp: '2025-12-29T00:00:00Z'
              labels:
                app: web-\(rng.next() % 7)
                pod-template-hash: h\(rng.next() % 1000)
              name: web-\(i)
              namespace: ns\(i % 9)
              ownerReferences:
              - apiVersion: apps/v1
                controller: true
                kind: ReplicaSet
                name: web
                uid: '6c720942-630d-4c18-9cf1-ac43e2e002e2'
            spec:
              containers:
              - image: 'registry.k8s.io/web:v1'
                name: web
                ports:
                - containerPort: \(8000 + i % 100)
                  name: http
                  protocol: TCP
                resources: {}
              nodeName: worker-\(i % 3)
              tolerations: []
            status:
              podIP: 10.0.\(i / 250).\(i % 250 + 1)
              podIPs:
              - ip: 10.0.\(i / 250).\(i % 250 + 1)
              - ip: 'fd00::\(String(i + 1, radix: 16))'

            """
        }
        #expect(Self.compare(text))
        #expect(YAMLDocumentReader.read(text, file: "t.yaml").documents.count == 300)
    }

    /// Every manifest of the project's fixtures and samples (and the shared conformance cases
    /// when they are beside the repository): the same documents, errors and warnings both ways.
    @Test func readsTheProjectsManifestsAsLibyamlDoes() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var directories = [root.appendingPathComponent("samples")]
        let tests = root.appendingPathComponent("Tests")
        for suite in (try? FileManager.default.contentsOfDirectory(atPath: tests.path)) ?? [] {
            directories.append(tests.appendingPathComponent(suite).appendingPathComponent("Fixtures"))
        }
        directories.append(root.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent("conformance"))
        var files = 0, scanned = 0
        for directory in directories {
            guard let walker = FileManager.default.enumerator(atPath: directory.path) else { continue }
            for case let relative as String in walker where relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") {
                let data = try Data(contentsOf: directory.appendingPathComponent(relative))
                guard let text = String(data: data, encoding: .utf8) else { continue }
                files += 1
                if Self.compare(text) { scanned += 1 }
            }
        }
        #expect(files > 300, "\(files) manifest files")
        // Most of them are block style: the scanner is not falling back everywhere.
        #expect(scanned > files / 2, "scanner read \(scanned) of \(files)")
    }

    /// Nesting at and past the limit: the scanner leaves it to libyaml, which refuses it.
    @Test func deepNestingIsLibyamlsToRefuse() {
        for depth in [62, 63, 64, 65, 80] {
            var text = ""
            for level in 0..<depth { text += String(repeating: " ", count: level) + "k:\n" }
            text += String(repeating: " ", count: depth) + "k: v\n"
            Self.compare(text)
            let read = YAMLDocumentReader.read(text, file: "t.yaml")
            #expect((read.error?.message.contains("nested more than") ?? false) == (depth >= 64), "depth \(depth)")
        }
    }
}
