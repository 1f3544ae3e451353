import FlowCore
import Testing
import Yams
@testable import Policy

/// The one-pass reader (a flat document) against what it replaced: `YAMLPrecheck` then Yams' `Parser`, on random
/// texts (block and flow collections, quoted and tagged scalars, anchors and aliases, duplicate
/// keys, several documents) and on the same texts cut short at random places (syntax errors).
@Suite struct YAMLDocumentReaderTests {
    /// Everything of a node the loader can observe, marks included.
    static func describe(_ node: Node) -> String {
        func mark(_ m: Mark?) -> String { m.map { "@\($0.line):\($0.column)" } ?? "@-" }
        switch node {
        case .scalar(let s):
            return "s(\(s.string.debugDescription) \(s.tag.description) \(s.style.rawValue)\(mark(s.mark)))"
        case .sequence(let s):
            return "q(\(s.tag.description)\(mark(s.mark)) " + s.map(describe).joined(separator: ",") + ")"
        case .mapping(let m):
            return "m(\(m.tag.description)\(mark(m.mark)) " + m.map { describe($0.key) + ":" + describe($0.value) }.joined(separator: ",") + ")"
        }
    }

    /// The same for the flat document's node, in the same words.
    static func describe(_ node: ManifestNode) -> String {
        let mark = node.line.map { "@\($0):\(node.column!)" } ?? "@-"
        switch node.kind {
        case .scalar:
            return "s(\(node.scalarText!.debugDescription) \(node.tag) \(node.style)\(mark))"
        case .sequence:
            return "q(\(node.tag)\(mark) " + node.children.map(describe).joined(separator: ",") + ")"
        case .mapping:
            return "m(\(node.tag)\(mark) " + node.pairs.map { describe($0.key) + ":" + describe($0.value) }.joined(separator: ",") + ")"
        case .alias:
            return "alias"
        }
    }

    /// What the replaced code gave: warnings and documents, or the error.
    static func reference(_ text: String) -> (documents: [String], warnings: [String], error: String?) {
        let warnings: [FlowlogError]
        do {
            warnings = try YAMLPrecheck.check(text, file: "t.yaml")
        } catch let error as FlowlogError {
            return ([], [], "\(error)")
        } catch {
            return ([], [], "\(error)")
        }
        var documents: [String] = []
        do {
            let parser = try Parser(yaml: text, resolver: .basic)
            while let document = try parser.nextRoot() { documents.append(describe(document)) }
        } catch let error as YamlError {
            return (documents, warnings.map { "\($0)" }, "\(ClusterLoader.yamlError(error, file: "t.yaml"))")
        } catch {
            return (documents, warnings.map { "\($0)" }, "\(error)")
        }
        return (documents, warnings.map { "\($0)" }, nil)
    }

    static func read(_ text: String) -> (documents: [String], warnings: [String], error: String?) {
        let r = YAMLDocumentReader.read(text, file: "t.yaml")
        return (r.documents.map(describe), r.warnings.map { "\($0)" }, r.error.map { "\($0)" })
    }

    struct TextGenerator {
        var rng: SplitMix64
        var anchors: [String] = []

        mutating func pick(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }

        mutating func scalar() -> String {
            let words = ["a", "b", "app", "web", "80", "true", "null", "~", "", "x y", "1.5", "-"]
            switch pick(7) {
            case 0: return "'\(words[pick(words.count)])'"
            case 1: return "\"\(words[pick(words.count)])\\t\""
            case 2: return "!!str \(words[pick(words.count)].isEmpty ? "e" : words[pick(words.count)])"
            case 3 where !anchors.isEmpty: return "*\(anchors[pick(anchors.count)])"
            case 4:
                let name = "n\(pick(6))"
                anchors.append(name)
                return "&\(name) v\(pick(9))"
            default:
                let w = words[pick(words.count)]
                return w.isEmpty ? "e" : w
            }
        }

        mutating func key() -> String { ["a", "b", "c", "kind", "name", "'q'", "\"d\""][pick(7)] }

        mutating func flow(depth: Int) -> String {
            if depth > 3 || pick(3) == 0 { return scalar() }
            if pick(2) == 0 {
                return "[" + (0..<pick(4)).map { _ in flow(depth: depth + 1) }.joined(separator: ", ") + "]"
            }
            return "{" + (0..<pick(4)).map { _ in "\(key()): \(flow(depth: depth + 1))" }.joined(separator: ", ") + "}"
        }

        mutating func block(indent: Int, depth: Int) -> String {
            let pad = String(repeating: " ", count: indent)
            var out = ""
            let isSequence = pick(3) == 0
            for _ in 0..<(1 + pick(4)) {
                let head = isSequence ? "\(pad)- " : "\(pad)\(key()): "
                if depth < 3, pick(3) == 0 {
                    let anchor = pick(4) == 0 ? { () -> String in let n = "b\(pick(5))"; anchors.append(n); return " &\(n)" }() : ""
                    out += head.dropLast() + anchor + "\n" + block(indent: indent + 2, depth: depth + 1)
                } else {
                    out += head + flow(depth: depth) + "\n"
                }
            }
            return out
        }

        mutating func text() -> String {
            anchors = []
            var out = ""
            for d in 0..<(1 + pick(3)) {
                if d > 0 || pick(2) == 0 { out += "---\n" }
                out += pick(5) == 0 ? flow(depth: 0) + "\n" : block(indent: 0, depth: 0)
            }
            return out
        }
    }

    @Test func readsWhatPrecheckAndYamsRead() {
        var generator = TextGenerator(rng: SplitMix64(seed: 0x7A41))
        var checked = 0, withErrors = 0
        for _ in 0..<600 {
            let text = generator.text()
            var variants = [text]
            // Cut short or damaged at random places: syntax errors after some documents.
            let bytes = Array(text.utf8)
            if bytes.count > 2 {
                let cut = 1 + generator.pick(bytes.count - 1)
                variants.append(String(decoding: bytes[..<cut], as: UTF8.self))
                var damaged = bytes
                damaged.insert(contentsOf: Array(["]", "{", ": :", "\t", "&", "*zz", "'"][generator.pick(7)].utf8), at: cut)
                variants.append(String(decoding: damaged, as: UTF8.self))
            }
            for variant in variants {
                let want = Self.reference(variant), got = Self.read(variant)
                #expect(got.documents == want.documents, "\(variant.debugDescription)")
                #expect(got.warnings == want.warnings, "\(variant.debugDescription)")
                #expect(got.error == want.error, "\(variant.debugDescription)")
                checked += 1
                if want.error != nil { withErrors += 1 }
            }
        }
        // The generator reaches both outcomes often.
        #expect(withErrors > 100 && checked - withErrors > 600, "\(withErrors) of \(checked) with errors")
    }

    @Test func limitsAreThePrechecks() {
        let deep = "a: " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "\n"
        #expect(Self.read(deep).error == Self.reference(deep).error)
        #expect(Self.read(deep).error?.contains("nested more than") == true)
        var aliases = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            aliases += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(Self.read(aliases).error == Self.reference(aliases).error)
        #expect(Self.read(aliases).documents.isEmpty)
        // Many keys in one mapping: duplicates found past the short list too.
        let wide = (0..<40).map { "k\($0): v" }.joined(separator: "\n") + "\nk3: again\nk39: again\n"
        #expect(Self.read(wide).warnings == Self.reference(wide).warnings)
        #expect(Self.read(wide).warnings.count == 2)
    }

    /// What the loader asks of a node (text, null, children, pairs) answers as Yams' node does.
    @Test func accessorsAnswerAsYamsNodes() throws {
        var generator = TextGenerator(rng: SplitMix64(seed: 0xACCE))
        var nulls = 0, nodes = 0
        func compare(_ flat: ManifestNode, _ node: Node) {
            nodes += 1
            #expect(flat.isNull == (node.null != nil), "\(Self.describe(node))")
            if flat.isNull { nulls += 1 }
            #expect(flat.scalarText == node.scalar?.string)
            #expect(flat.line == node.mark?.line && flat.column == node.mark?.column)
            switch node {
            case .scalar(let s):
                #expect(flat.isScalar && flat.scalarEquals(s.string) && !flat.scalarEquals(s.string + "x"))
            case .sequence(let items):
                #expect(flat.isSequence && flat.childCount == items.count)
                for (a, b) in zip(flat.children, items) { compare(a, b) }
            case .mapping(let m):
                #expect(flat.isMapping && flat.pairCount == m.count)
                for (a, b) in zip(flat.pairs, m) {
                    compare(a.key, b.key)
                    compare(a.value, b.value)
                }
            }
        }
        for _ in 0..<300 {
            let text = generator.text()
            let read = YAMLDocumentReader.read(text, file: "t.yaml")
            guard read.error == nil, let parser = try? Parser(yaml: text, resolver: .basic) else { continue }
            var documents: [Node] = []
            while let document = try parser.nextRoot() { documents.append(document) }
            #expect(read.documents.count == documents.count)
            for (flat, node) in zip(read.documents, documents) { compare(flat, node) }
        }
        #expect(nodes > 2000 && nulls > 50, "\(nodes) nodes, \(nulls) null")
    }

    /// A Yams tree converted to the flat form (as report specifications are) reads the same.
    @Test func convertedYamsNodesReadTheSame() throws {
        var generator = TextGenerator(rng: SplitMix64(seed: 0x51A7))
        var compared = 0
        for _ in 0..<300 {
            let text = generator.text()
            guard let parser = try? Parser(yaml: text, resolver: .basic) else { continue }
            while let document = try? parser.nextRoot() {
                #expect(Self.describe(ManifestNode(document)) == Self.describe(document), "\(text.debugDescription)")
                compared += 1
            }
        }
        #expect(compared > 200)
    }
}
