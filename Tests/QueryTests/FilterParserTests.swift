import FlowCore
import Testing
@testable import Query

@Suite struct FilterParserTests {
    /// A compact rendering of the tree so tests can state the expected shape.
    func shape(_ e: FilterExpression) -> String {
        switch e {
        case .all: return "all"
        case .not(let i): return "!(\(shape(i)))"
        case .and(let l, let r): return "(\(shape(l)) & \(shape(r)))"
        case .or(let l, let r): return "(\(shape(l)) | \(shape(r)))"
        case .predicate(let p):
            switch p {
            case .namespace(let s, let m): return "ns\(s)=\(m)"
            case .port(let s, let op, let v): return "port\(s)\(op)\(v)"
            case .verdict(let v): return "verdict=\(v)"
            case .ipProtocol(let p): return "proto=\(p)"
            case .name(let s, let m): return "name\(s)=\(m)"
            case .address(let s, let p): return "ip\(s)=\(p)"
            case .counter(let c, let op, let v): return "\(c)\(op)\(v)"
            case .policy(let p): return "policy=\(p.kind?.description ?? "*"):\(p.namespace ?? "*")/\(p.name)"
            case .labels(let s, let sel): return "labels\(s)=\(sel.selector.canonical)"
            default: return "\(p)"
            }
        }
    }

    func parsed(_ text: String) throws -> String { shape(try FilterParser.parse(text)) }

    @Test func precedenceAndGrouping() throws {
        #expect(try parsed("verdict deny or proto udp and port 53")
            == "(verdict=deny | (proto=udp & porteither=53))")
        #expect(try parsed("(verdict deny or proto udp) and port 53")
            == "((verdict=deny | proto=udp) & porteither=53)")
        #expect(try parsed("not verdict allow && ! proto tcp || port 1")
            == "((!(verdict=allow) & !(proto=tcp)) | porteither=1)")
        #expect(try parsed("") == "all")
        #expect(try parsed("   ") == "all")
    }

    @Test func sidesAndSpellings() throws {
        #expect(try parsed("src.namespace shop") == "nssource=exact(\"shop\")")
        #expect(try parsed("dst namespace = shop") == "nsdestination=exact(\"shop\")")
        #expect(try parsed("any.ns == shop") == "nseither=exact(\"shop\")")
        #expect(try parsed("namespace shop") == "nseither=exact(\"shop\")")
        #expect(try parsed("SRC.POD web-*") == "namesource=prefix(\"web-\")")
        #expect(try parsed("dst.ip 10.1.0.0/16") == "ipdestination=10.1.0.0/16")
        #expect(try parsed("ip fd00::1") == "ipeither=fd00::1/128")
        #expect(try parsed("dst.port >= 1024") == "portdestination>=1024")
        #expect(try parsed("bytes > 10M") == "bytes>10000000")
        #expect(try parsed("policy knp:shop/allow-web") == "policy=knp:shop/allow-web")
        #expect(try parsed("policy baseline") == "policy=*:*/baseline")
        #expect(try parsed("src.labels \"app == 'web' && has(tier)\"")
            == "labelssource=(app == \"web\" && has(tier))")
    }

    @Test func inListsAndNotEqual() throws {
        #expect(try parsed("dst.port in (80, 443,8080)")
            == "((portdestination=80 | portdestination=443) | portdestination=8080)")
        #expect(try parsed("namespace != shop") == "!(nseither=exact(\"shop\"))")
        #expect(try parsed("port != 22") == "porteither!=22")
    }

    func failure(_ text: String) -> (column: Int?, message: String) {
        do {
            _ = try FilterParser.parse(text)
            return (nil, "parsed")
        } catch let e as FlowlogError {
            #expect(e.code == .parse)
            return (e.location?.column, e.message)
        } catch {
            return (nil, "\(error)")
        }
    }

    @Test func errorsPointAtTheColumn() {
        var f = failure("src.namespace shop and dst.nmespace db")
        #expect(f.column == 24)
        #expect(f.message.contains("unknown field 'dst.nmespace'"))

        f = failure("port eighty")
        #expect(f.column == 6)
        #expect(f.message.contains("not a port"))

        f = failure("(verdict deny or proto udp")
        #expect(f.column == 27)
        #expect(f.message.contains("')'"))

        f = failure("verdict deny and")
        #expect(f.column == 17)

        f = failure("namespace < shop")
        #expect(f.column == 11)
        #expect(f.message.contains("number field"))

        f = failure("proto tcp & port 80")
        #expect(f.column == 11)

        f = failure("verdict maybe")
        #expect(f.column == 9)
        #expect(f.message.contains("allow, deny, unknown"))

        f = failure("src.labels \"app == \"")
        #expect(f.message.contains("bad label selector"))
        #expect((f.column ?? 0) > 12)

        f = failure("src.proto tcp")
        #expect(f.column == 1)
        #expect(f.message.contains("drop the side prefix"))

        f = failure("verdict deny proto tcp")
        #expect(f.column == 14)
        #expect(f.message.contains("expected 'and', 'or'"))

        f = failure("ip 10.0.0.0/33")
        #expect(f.column == 4)

        f = failure("dst.port in (80 443)")
        #expect(f.column == 17)

        f = failure("namespace 'shop")
        #expect(f.column == 11)
        #expect(f.message.contains("unterminated"))
    }

    @Test func diagnosticShowsTheCaret() {
        let text = "verdict deny and dst.nmespace db"
        do {
            _ = try FilterParser.parse(text)
            Issue.record("parsed")
        } catch let e as FlowlogError {
            let rendered = FilterDiagnostic.render(e, filter: text)
            let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count >= 3)
            #expect(lines[1] == "  verdict deny and dst.nmespace db")
            #expect(lines[2] == "                   ^")
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// Hostile filters: nesting, long negation runs and very long filters are errors or parse, but
/// never exhaust the stack or take quadratic time.
@Suite struct FilterParserLimitTests {
    /// The depth of the parsed tree, walked without recursion.
    func depth(_ root: FilterExpression) -> Int {
        var deepest = 0
        var stack: [(FilterExpression, Int)] = [(root, 1)]
        while let (node, level) = stack.popLast() {
            deepest = max(deepest, level)
            switch node {
            case .and(let l, let r), .or(let l, let r):
                stack.append((l, level + 1))
                stack.append((r, level + 1))
            case .not(let inner):
                stack.append((inner, level + 1))
            case .predicate, .all:
                break
            }
        }
        return deepest
    }

    @Test func deeplyNestedParenthesesAreRejected() throws {
        let text = String(repeating: "(", count: 15_000) + "verdict deny" + String(repeating: ")", count: 15_000)
        let error = #expect(throws: FlowlogError.self) { try FilterParser.parse(text) }
        #expect(error?.code == .parse)
        #expect(error?.message.contains("nested more than \(FilterParser.maximumDepth) deep") == true)
        #expect(error?.location?.column == FilterParser.maximumDepth + 1)
        let deepest = String(repeating: "(", count: FilterParser.maximumDepth) + "verdict deny"
            + String(repeating: ")", count: FilterParser.maximumDepth)
        #expect(try depth(FilterParser.parse(deepest)) == 1)
    }

    @Test func longRunsOfNotParseWithoutRecursion() throws {
        for (count, operators) in [(17_000, "!"), (17_001, "! "), (20_000, "not ")] {
            let text = String(repeating: operators, count: count) + "verdict deny"
            let parsed = try FilterParser.parse(text)
            let program = FilterProgram(parsed)
            let flow = SampleFlows.make(count: 1)[0]
            let denied = flow.annotation?.verdict == .deny
            #expect(program.matches(flow) == (denied == (count % 2 == 0)), "\(count) × \(operators)")
        }
    }

    /// The issue's 112 KB filter of 14,000 alternatives: the lexer walks it once, and the tree
    /// is balanced, so compiling, pruning and freeing it stay shallow.
    @Test func fourteenThousandAlternatives() throws {
        let terms = (0..<14_000).map { "port \($0 % 60_000)" }
        let text = terms.joined(separator: " or ")
        #expect(text.utf8.count > 112_000)
        let parsed = try FilterParser.parse(text)
        #expect(depth(parsed) <= 16)
        let program = FilterProgram(parsed)
        var flow = SampleFlows.make(count: 1)[0]
        flow.flow.destinationPort = 13_999
        #expect(program.matches(flow))
        flow.flow.destinationPort = 14_000
        flow.flow.sourcePort = 14_001
        #expect(!program.matches(flow))
        _ = BlockPruner(filter: parsed)
        // Columns stay exact at the far end of a long filter.
        let error = #expect(throws: FlowlogError.self) { try FilterParser.parse(text + " or port x") }
        #expect(error?.location?.column == text.count + 10)
        let list = "dst.port in (" + (0..<14_000).map { String($0) }.joined(separator: ",") + ")"
        #expect(depth(try FilterParser.parse(list)) <= 16)
    }

    @Test func columnsCountCharactersAfterNonASCII() {
        let error = #expect(throws: FlowlogError.self) { try FilterParser.parse("namespace 'dépôt' and pod x y") }
        #expect(error?.location?.column == 29)
    }

    @Test func overlongFiltersAreRejected() {
        let text = "namespace " + String(repeating: "a", count: FilterLexer.maximumLength)
        let error = #expect(throws: FlowlogError.self) { try FilterParser.parse(text) }
        #expect(error?.message.contains("at most \(FilterLexer.maximumLength)") == true)
    }
}
