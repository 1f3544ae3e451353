import FlowCore
import Policy
import Query

/// The filter language in ClickHouse SQL over the flows table: a `WHERE` condition that holds
/// for exactly the rows the local evaluator (`FilterPredicate+Evaluation`) matches. Every
/// operand is a typed value rendered by `SQLLiteral`; no user text reaches the SQL unquoted.
enum SQLFilter {
    static func condition(_ expression: FilterExpression) -> String {
        switch expression {
        case .all: return "1"
        case .predicate(let p): return condition(p)
        case .and(let l, let r): return "(\(condition(l)) AND \(condition(r)))"
        case .or(let l, let r): return "(\(condition(l)) OR \(condition(r)))"
        case .not(let e): return "(NOT \(condition(e)))"
        }
    }

    /// `--since/--until`: the flow overlaps the window (starts before `until`, ends at or after `since`).
    static func window(_ window: TimeWindow) -> String {
        var parts: [String] = []
        if let since = window.since { parts.append("end_ns >= \(since.nanoseconds)") }
        if let until = window.until { parts.append("start_ns < \(until.nanoseconds)") }
        return parts.isEmpty ? "1" : parts.joined(separator: " AND ")
    }

    private static let annotated = "annotated = 1"

    static func condition(_ predicate: FilterPredicate) -> String {
        switch predicate {
        case .namespace(let side, let match):
            return gated(either(side, "src_namespace", "dst_namespace") { text($0, match) })
        case .name(let side, let match):
            return gated(either(side, "src_name", "dst_name") { text($0, match) })
        case .aggregatedName(let side, let match):
            return gated(either(side, "src_name_aggr", "dst_name_aggr") { text($0, match) })
        case .endpointKind(let side, let kind):
            return gated(either(side, "src_kind", "dst_kind") { "\($0) = \(SQLLiteral.string(kind.description))" })
        case .labels(let side, let selector):
            let expression = selector.selector.expression
            switch side {
            case .source: return gated(labels(expression, keys: "src_label_keys", values: "src_label_values"))
            case .destination: return gated(labels(expression, keys: "dst_label_keys", values: "dst_label_values"))
            case .either:
                return gated("(\(labels(expression, keys: "src_label_keys", values: "src_label_values")) OR "
                    + "\(labels(expression, keys: "dst_label_keys", values: "dst_label_values")))")
            }
        case .address(let side, let prefix):
            return "(ip_version = \(prefix.address.version == .v4 ? 4 : 6) AND "
                + either(side, "src_addr", "dst_addr") { "(\($0) >= \(bound(prefix, upper: false)) AND \($0) <= \(bound(prefix, upper: true)))" } + ")"
        case .port(let side, let op, let port):
            return either(side, "src_port", "dst_port") { "\($0) \(sql(op)) \(port)" }
        case .ipProtocol(let p):
            return "protocol = \(p.rawValue)"
        case .verdict(let v):
            return "verdict = \(SQLLiteral.string(v.description))"
        case .pendingVerdict(let v):
            return "pending_verdict = \(SQLLiteral.string(v.description))"
        case .wouldChange(let changes):
            return gated("(pending_verdict \(changes ? "!=" : "=") verdict)")
        case .policyAction(let action):
            return gated("(" + [FlowColumn.Trace.egress, .ingress].map { hasAction($0, action) }.joined(separator: " OR ") + ")")
        case .reporter(let reporter):
            return gated("reporter = \(SQLLiteral.string(reporter.description))")
        case .tier(let tier):
            let t = SQLLiteral.string(tier)
            return gated("(" + FlowColumn.Trace.allCases.map { "has(\($0.column(.hitTier).rawValue), \(t))" }.joined(separator: " OR ") + ")")
        case .policy(let pattern):
            var test = "n = \(SQLLiteral.string(pattern.name))"
            if let kind = pattern.kind { test += " AND k = \(SQLLiteral.string(kind.description))" }
            if let namespace = pattern.namespace { test += " AND s = \(SQLLiteral.string(namespace))" }
            return gated("(" + FlowColumn.Trace.allCases.map {
                "arrayExists((n, k, s) -> \(test), \($0.column(.hitName).rawValue), \($0.column(.hitKind).rawValue), \($0.column(.hitNamespace).rawValue))"
            }.joined(separator: " OR ") + ")")
        case .counter(let counter, let op, let value):
            return "\(counterExpression(counter)) \(sql(op)) \(value)"
        case .vlan(let op, let id):
            return "(vlan != \(FlowRecord.noVLAN) AND vlan \(sql(op)) \(id))"
        case .node(let match):
            return text("node", match)
        case .service(let match):
            return gated(text("dst_service", match))
        case .domain(let pattern):
            return domain(pattern)
        }
    }

    /// `DomainNames.matches` over `dst_domains` (stored lowercase): an exact name, or with a
    /// `*` label, a name whose leading and trailing labels are the pattern's and that has at
    /// least one label in place of the `*`.
    static func domain(_ pattern: String) -> String {
        let labels = pattern.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard let star = labels.firstIndex(of: "*") else {
            return "has(dst_domains, \(SQLLiteral.string(labels.joined(separator: "."))))"
        }
        let before = labels[..<star], after = labels[(star + 1)...]
        var tests = ["length(splitByChar('.', d)) >= \(before.count + after.count + 1)"]
        if !before.isEmpty { tests.append("startsWith(d, \(SQLLiteral.string(before.joined(separator: ".") + ".")))") }
        if !after.isEmpty { tests.append("endsWith(d, \(SQLLiteral.string("." + after.joined(separator: "."))))") }
        return "arrayExists(d -> \(tests.joined(separator: " AND ")), dst_domains)"
    }

    /// The counter as `FlowCounter.value` reads it: `…_in`/`…_out` relative to the reporter
    /// (the columns run source → destination), the others as stored.
    static func counterExpression(_ counter: FlowCounter) -> String {
        let atDestination = "(annotated = 1 AND reporter = 'dst')"
        switch counter {
        case .packets: return "(packets_out + packets_in)"
        case .bytes: return "(bytes_out + bytes_in)"
        case .packetsIn: return "if(\(atDestination), packets_out, packets_in)"
        case .packetsOut: return "if(\(atDestination), packets_in, packets_out)"
        case .bytesIn: return "if(\(atDestination), bytes_out, bytes_in)"
        case .bytesOut: return "if(\(atDestination), bytes_in, bytes_out)"
        case .sourcePackets: return "packets_out"
        case .destinationPackets: return "packets_in"
        case .sourceBytes: return "bytes_out"
        case .destinationBytes: return "bytes_in"
        }
    }

    private static func gated(_ condition: String) -> String { "(\(annotated) AND \(condition))" }

    private static func either(_ side: FlowSide, _ source: String, _ destination: String, _ test: (String) -> String) -> String {
        switch side {
        case .source: return test(source)
        case .destination: return test(destination)
        case .either: return "(\(test(source)) OR \(test(destination)))"
        }
    }

    private static func text(_ column: String, _ match: TextMatch) -> String {
        switch match {
        case .exact(let s): return "\(column) = \(SQLLiteral.string(s))"
        case .prefix(let s): return "startsWith(\(column), \(SQLLiteral.string(s)))"
        }
    }

    private static func sql(_ op: ComparisonOperator) -> String {
        switch op {
        case .equal: return "="
        case .notEqual: return "!="
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        }
    }

    private static func hasAction(_ trace: FlowColumn.Trace, _ action: PolicyAction) -> String {
        "arrayExists(a -> a = \(SQLLiteral.string(action.description)), \(trace.column(.hitAction).rawValue))"
    }

    /// The lowest or highest 16-byte address of the prefix, as the address columns store it.
    private static func bound(_ prefix: IPPrefix, upper: Bool) -> String {
        var address = prefix.address
        if upper {
            let hostBits = prefix.address.bitWidth - prefix.length
            if address.version == .v4 {
                address.low |= hostBits == 0 ? 0 : (UInt64(1) << UInt64(hostBits)) - 1
            } else if hostBits >= 64 {
                address.low = .max
                address.high |= hostBits == 128 ? .max : (hostBits == 64 ? 0 : (UInt64(1) << UInt64(hostBits - 64)) - 1)
            } else if hostBits > 0 {
                address.low |= (UInt64(1) << UInt64(hostBits)) - 1
            }
        }
        var bytes: [UInt8] = []
        for word in [address.high, address.low] {
            for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return "toFixedString(\(SQLLiteral.bytes(bytes)), 16)"
    }

    /// A Calico selector over one side's parallel label arrays, with `Selector.matches`'s
    /// semantics for a missing label.
    static func labels(_ e: SelectorExpression, keys: String, values: String) -> String {
        func value(_ label: String) -> String { "\(values)[indexOf(\(keys), \(SQLLiteral.string(label)))]" }
        func has(_ label: String) -> String { "has(\(keys), \(SQLLiteral.string(label)))" }
        func set(_ members: [String]) -> String { "(" + members.map(SQLLiteral.string).joined(separator: ", ") + ")" }
        switch e {
        case .all, .global: return "1"
        case .has(let l): return has(l)
        case .equal(let l, let v): return "(\(has(l)) AND \(value(l)) = \(SQLLiteral.string(v)))"
        case .notEqual(let l, let v): return "(NOT (\(has(l)) AND \(value(l)) = \(SQLLiteral.string(v))))"
        case .contains(let l, let v): return "(\(has(l)) AND position(\(value(l)), \(SQLLiteral.string(v))) > 0)"
        case .startsWith(let l, let v): return "(\(has(l)) AND startsWith(\(value(l)), \(SQLLiteral.string(v))))"
        case .endsWith(let l, let v): return "(\(has(l)) AND endsWith(\(value(l)), \(SQLLiteral.string(v))))"
        case .member(let l, let members):
            return members.isEmpty ? "0" : "(\(has(l)) AND \(value(l)) IN \(set(members)))"
        case .notMember(let l, let members):
            return members.isEmpty ? "1" : "(NOT (\(has(l)) AND \(value(l)) IN \(set(members))))"
        case .not(let inner): return "(NOT \(labels(inner, keys: keys, values: values)))"
        case .and(let parts): return parts.isEmpty ? "1" : "(" + parts.map { labels($0, keys: keys, values: values) }.joined(separator: " AND ") + ")"
        case .or(let parts): return parts.isEmpty ? "0" : "(" + parts.map { labels($0, keys: keys, values: values) }.joined(separator: " OR ") + ")"
        }
    }
}
