import FlowCore
import Foundation
import Testing
import Yams
@testable import Policy

/// The loader reads flat documents (`ManifestDocument`) built straight from libyaml's events.
/// The plain path it replaced: the limit check, Yams' parser and its node tree, each document
/// then read field by field. Both must give the same cluster, errors and warnings, on every
/// fixture, the large test cluster and the same texts damaged at random places.
@Suite struct FlatManifestLoadingTests {
    /// The cluster (as a dump: every field), the errors and the warnings of one load.
    typealias Outcome = (cluster: String, errors: [String], warnings: [String])

    static func summary(_ builder: ClusterBuilder, diagnostics: LoadDiagnostics) -> Outcome {
        (canonical(builder.cluster), diagnostics.errors.map(\.description), diagnostics.warnings.map(\.description))
    }

    /// Every stored field, dictionaries and sets in sorted order (their own order is the hash's).
    static func canonical(_ value: Any) -> String {
        let mirror = Mirror(reflecting: value)
        let parts = mirror.children.map { child in (child.label.map { $0 + ": " } ?? "") + canonical(child.value) }
        switch mirror.displayStyle {
        case .dictionary, .set:
            return "{" + parts.sorted().joined(separator: ", ") + "}"
        case .optional:
            return parts.first ?? "nil"
        case .struct, .class, .tuple, .collection, .enum:
            if parts.isEmpty { return "\(value)" }
            return "\(mirror.subjectType)(" + parts.joined(separator: ", ") + ")"
        default:
            return "\(value)"
        }
    }

    static func flat(_ text: String) -> Outcome {
        let diagnostics = LoadDiagnostics()
        var builder = ClusterBuilder(diagnostics: diagnostics)
        ClusterLoader.load(text: text, file: "m.yaml", into: &builder)
        builder.finish()
        return summary(builder, diagnostics: diagnostics)
    }

    /// Limits and duplicate keys by `YAMLPrecheck`, documents by Yams, read through converted trees.
    static func plain(_ text: String) -> Outcome {
        let diagnostics = LoadDiagnostics()
        var builder = ClusterBuilder(diagnostics: diagnostics)
        do {
            diagnostics.warnings += try YAMLPrecheck.check(text, file: "m.yaml")
            let parser = try Parser(yaml: text, resolver: .basic)
            do {
                while let document = try parser.nextRoot() {
                    builder.add(ManifestField(node: ManifestNode(document), path: "", file: "m.yaml", resource: "document",
                                              diagnostics: diagnostics))
                }
            } catch let error as YamlError {
                diagnostics.errors.append(ClusterLoader.yamlError(error, file: "m.yaml"))
            }
        } catch let error as FlowlogError {
            diagnostics.errors.append(error)
        } catch let error as YamlError {
            diagnostics.errors.append(ClusterLoader.yamlError(error, file: "m.yaml"))
        } catch {
            diagnostics.errors.append(FlowlogError(.parse, "\(error)", location: .init(file: "m.yaml")))
        }
        builder.finish()
        return summary(builder, diagnostics: diagnostics)
    }

    static var texts: [String] {
        let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
        var found: [String] = []
        if let walker = FileManager.default.enumerator(atPath: root.path) {
            for case let relative as String in walker where relative.hasSuffix(".yaml") || relative.hasSuffix(".json") {
                if let text = try? String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8) { found.append(text) }
            }
        }
        return found.sorted() + [LargeTestCluster.yaml()]
    }

    @Test func fixturesLoadAsThroughYamsTrees() {
        let texts = Self.texts
        #expect(texts.count > 40)
        for text in texts {
            let flat = Self.flat(text), plain = Self.plain(text)
            #expect(flat.cluster == plain.cluster, "\(text.prefix(200))")
            #expect(flat.errors == plain.errors, "\(text.prefix(200))")
            #expect(flat.warnings == plain.warnings, "\(text.prefix(200))")
        }
    }

    /// Cut, damaged and retyped at random places: errors at the same file, line:column and field.
    @Test func damagedManifestsGiveTheSameErrors() {
        var rng = SplitMix64(seed: 0xF1A7)
        let texts = Self.texts.filter { $0.utf8.count < 20_000 }
        let damage = ["]", "{", ": :", "\t", "&a", "*zz", "'", "\n- x\n", "ten", "-1", "~", "null", "!!int ", "{a: [b, c]}", "\n---\n"]
        var compared = 0, withErrors = 0
        for _ in 0..<400 {
            let text = texts[Int(rng.next() % UInt64(texts.count))]
            var bytes = Array(text.utf8)
            for _ in 0..<(1 + Int(rng.next() % 2)) where !bytes.isEmpty {
                let at = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 5 {
                case 0: bytes.removeSubrange(at..<min(bytes.count, at + 1 + Int(rng.next() % 8)))
                case 4: bytes = Array(bytes[..<at])
                default: bytes.insert(contentsOf: Array(damage[Int(rng.next() % UInt64(damage.count))].utf8), at: at)
                }
            }
            let variant = String(decoding: bytes, as: UTF8.self)
            let flat = Self.flat(variant), plain = Self.plain(variant)
            #expect(flat.cluster == plain.cluster, "\(variant.debugDescription)")
            #expect(flat.errors == plain.errors, "\(variant.debugDescription)")
            #expect(flat.warnings == plain.warnings, "\(variant.debugDescription)")
            compared += 1
            if !plain.errors.isEmpty { withErrors += 1 }
        }
        // Both outcomes are common: syntax and field errors, and damage the loader takes.
        #expect(withErrors > 100, "\(withErrors) of \(compared) with errors")
        #expect(compared - withErrors > 30, "\(withErrors) of \(compared) with errors")
    }
}
