import FlowCore

/// report.html: one self-contained page (inline CSS and SVG, no scripts, no fetches; a
/// Content-Security-Policy forbids them) for a security lead to hand to an auditor. Every
/// number carries a `data-metric` (or `data-namespace`/`data-matrix`) attribute naming the CSV
/// or JSON value it shows.
public enum ReportHTML {
    public static func render(_ d: ReportDocument) -> String {
        let s = ReportSummary(d)
        var h = head(d)
        h += "<header><h1>Network policy report: \(e(d.spec.name))</h1>"
        h += "<p class=\"meta\">\(e(d.spec.type.rawValue)) · \(e(d.start.wholeSecondsRFC3339)) to \(e(d.end.wholeSecondsRFC3339)) · generated \(e(d.generated.wholeSecondsRFC3339)) · id <code>\(e(d.id))</code></p>"
        h += "<p class=\"statement\" data-state-source=\"\(d.provenance.kind.rawValue)\">\(e(d.provenance.statement))</p>"
        h += "<p class=\"meta\">Scope: \(e(scopeText(d)))"
        if let data = d.dataDirectory { h += " · flows from <code>\(e(data))</code>" } else if d.spec.type == .inventory || d.spec.type == .networkAccess {
            h += " · no flow store given: intent only, nothing observed"
        }
        h += "</p></header>"
        if d.cis == nil { h += summary(d, s) }
        if let cis = d.cis {
            h += cisBenchmark(cis)
        } else if d.spec.type == .policyAudit {
            h += audit(d)
        } else {
            if let evidence = d.evidence { h += flows(d, evidence) }
            h += coverage(d)
            h += unprotected(d)
        }
        h += "<footer>Written by flowlog. Calico's columns reproduce Calico Enterprise's definitions; flowlog's columns read policies through the tiers in evaluation order. Private networks: \(e(d.privateNetworks.prefixes.map(\.description).joined(separator: ", "))).</footer>"
        return h + "</body></html>\n"
    }

    static func e(_ text: String) -> String { HTMLText.escape(text) }

    private static func head(_ d: ReportDocument) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(d.spec.name)) — flowlog \(e(d.spec.type.rawValue)) report</title>
        <style>
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2327;background:#fff}
        h1{font-size:1.6rem;margin-bottom:.3rem}h2{font-size:1.2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
        .meta{color:#555;margin:.2rem 0}.statement{background:#fdf6e3;border-left:4px solid #b58900;padding:.5rem .8rem}
        .cards{display:flex;flex-wrap:wrap;gap:.6rem}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;min-width:10rem}
        .card .num{display:block;font-size:1.5rem;font-weight:600}.card .label{font-size:.8rem;color:#555}
        .group{margin-top:.8rem;font-weight:600}
        table{border-collapse:collapse;font-size:.85rem;margin-top:.5rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left;vertical-align:top}
        th{background:#f4f4f4}.no{color:#c0392b;font-weight:600}.yes{color:#1b7f5c}
        svg .axis{font-size:11px;fill:#333}svg .cell{font-size:11px;fill:#222}svg .cell.dark{fill:#fff}
        .plots{display:flex;flex-wrap:wrap;gap:2rem}footer{margin-top:3rem;color:#777;font-size:.8rem}
        </style></head><body>
        """
    }

    private static func scopeText(_ d: ReportDocument) -> String {
        let sel = d.spec.endpoints
        var parts: [String] = []
        if let s = sel.selector { parts.append("endpoints matching \(s.canonical)") }
        if let n = sel.namespaces {
            if !n.names.isEmpty { parts.append("namespaces \(n.names.joined(separator: ", "))") }
            if let s = n.selector { parts.append("namespaces matching \(s.canonical)") }
        }
        if let a = sel.serviceAccounts {
            if !a.names.isEmpty { parts.append("service accounts \(a.names.joined(separator: ", "))") }
            if let s = a.selector { parts.append("service accounts matching \(s.canonical)") }
        }
        return parts.isEmpty ? "every endpoint" : parts.joined(separator: "; ")
    }

    static func card(_ metric: String, _ value: CustomStringConvertible, _ label: String) -> String {
        "<div class=\"card\"><span class=\"num\" data-metric=\"\(metric)\">\(value)</span><span class=\"label\">\(e(label))</span></div>"
    }

    private static func summary(_ d: ReportDocument, _ s: ReportSummary) -> String {
        var h = "<section id=\"summary\"><h2>Summary</h2>"
        if d.spec.type == .policyAudit {
            h += "<div class=\"cards\">" + card("numCreatedPolicies", s.policiesCreated, "policies created")
                + card("numModifiedPolicies", s.policiesModified, "policies modified")
                + card("numDeletedPolicies", s.policiesDeleted, "policies deleted") + "</div></section>"
            return h
        }
        h += "<div class=\"group\">Calico's definitions (a policy of that type applies)</div><div class=\"cards\">"
        h += card("endpointsNumInScope", s.endpointsInScope, "endpoints in scope")
        h += card("endpointsNumIngressProtected", s.endpointsIngressProtected, "ingress-protected")
        h += card("endpointsNumEgressProtected", s.endpointsEgressProtected, "egress-protected")
        if d.spec.type == .networkAccess {
            h += card("endpointsNumIngressUnprotected", s.endpointsIngressUnprotected, "not ingress-protected")
            h += card("endpointsNumEgressUnprotected", s.endpointsEgressUnprotected, "not egress-protected")
        }
        h += card("endpointsNumIngressFromInternet", s.endpointsIngressFromInternet, "allow ingress from the internet (static)")
        h += card("endpointsNumEgressToInternet", s.endpointsEgressToInternet, "allow egress to the internet (static)")
        h += card("endpointsNumIngressFromOtherNamespace", s.endpointsIngressFromOtherNamespace, "allow ingress from other namespaces (static)")
        h += card("endpointsNumEgressToOtherNamespace", s.endpointsEgressToOtherNamespace, "allow egress to other namespaces (static)")
        h += card("namespacesNumInScope", s.namespacesInScope, "namespaces in scope")
        h += card("namespacesNumIngressProtected", s.namespacesIngressProtected, "namespaces ingress-protected (every endpoint)")
        h += card("namespacesNumEgressProtected", s.namespacesEgressProtected, "namespaces egress-protected (every endpoint)")
        h += card("serviceAccountsNumInScope", s.serviceAccountsInScope, "service accounts in scope")
        h += "</div><div class=\"group\">flowlog's reading (tiers in order, reachable rules, full CIDR containment)</div><div class=\"cards\">"
        h += card("endpointsIngressDefaultDeny", s.endpointsIngressDefaultDeny, "deny ingress by default")
        h += card("endpointsEgressDefaultDeny", s.endpointsEgressDefaultDeny, "deny egress by default")
        h += card("endpointsReachableFromInternet", s.endpointsReachableFromInternet, "reachable from the internet")
        h += card("endpointsReachingInternet", s.endpointsReachingInternet, "can reach the internet")
        h += card("endpointsReachableFromOtherNamespace", s.endpointsReachableFromOtherNamespace, "reachable from other namespaces")
        h += card("endpointsReachingOtherNamespace", s.endpointsReachingOtherNamespace, "can reach other namespaces")
        h += "</div>"
        if let o = s.observed {
            h += "<div class=\"group\">Observed in the flow store over the interval</div><div class=\"cards\">"
            h += card("flowsInScope", o.flowsInScope, "flows touching in-scope endpoints")
            h += card("flowsAllowed", o.flowsAllowed, "allowed")
            h += card("flowsDenied", o.flowsDenied, "denied")
            h += card("endpointsAllowedFromInternet", o.endpointsAllowedFromInternet, "endpoints with allowed flows from the internet")
            h += card("endpointsAllowedToInternet", o.endpointsAllowedToInternet, "endpoints with allowed flows to the internet")
            h += card("endpointsWithOtherNamespacePeers", o.endpointsWithOtherNamespacePeers, "endpoints talking across namespaces")
            h += card("endpointsWithDeniedFlows", o.endpointsWithDeniedFlows, "endpoints with denied flows")
            h += "</div>"
        }
        return h + "</section>"
    }

    private static func flows(_ d: ReportDocument, _ evidence: FlowEvidence) -> String {
        var groups = Set(evidence.matrix.keys)
        for row in evidence.matrix.values { groups.formUnion(row.keys) }
        let ordered = groups.sorted { a, b in
            let ap = a.hasPrefix("("), bp = b.hasPrefix("(")
            return ap != bp ? !ap : a < b
        }
        var h = "<section id=\"matrix\"><h2>Traffic between namespaces</h2>"
        h += "<p class=\"meta\">Flows touching in-scope endpoints, by source and destination namespace; other addresses are grouped as (internet), (private) and (hosts).</p>"
        if ordered.isEmpty {
            h += "<p>No flows in the interval.</p>"
        } else {
            h += "<div class=\"plots\"><figure><figcaption>Allowed</figcaption>"
            h += SVGPlots.matrix(groups: ordered, cells: evidence.matrix, kind: "allowed", value: \.allowed, colour: SVGPlots.allowedColour)
            h += "</figure><figure><figcaption>Denied</figcaption>"
            h += SVGPlots.matrix(groups: ordered, cells: evidence.matrix, kind: "denied", value: \.denied, colour: SVGPlots.deniedColour)
            h += "</figure></div>"
        }
        h += "</section><section id=\"timeline\"><h2>Verdicts over time</h2>"
        h += SVGPlots.timeline(evidence.timeline, start: d.start, bucket: evidence.bucketNanoseconds)
        h += "</section><section id=\"denied\"><h2>Top denied flows</h2>"
        if evidence.topDenied.isEmpty {
            h += "<p>No denied flows in the interval.</p>"
        } else {
            h += "<table><tr><th>source</th><th>destination</th><th>protocol</th><th>port</th><th>flows</th><th>packets</th></tr>"
            for g in evidence.topDenied {
                h += "<tr><td>\(e(g.source))</td><td>\(e(g.destination))</td><td>\(e(g.ipProtocol))</td><td>\(g.destinationPort)</td><td data-metric=\"deniedFlows\">\(g.flows)</td><td>\(g.packets)</td></tr>"
            }
            h += "</table>"
        }
        return h + "</section>"
    }

    private static func coverage(_ d: ReportDocument) -> String {
        var h = "<section id=\"coverage\"><h2>Protection coverage per namespace</h2>"
        h += "<p class=\"meta\">Calico calls an endpoint protected when any policy of that type applies; flowlog asks whether traffic no rule allows is denied.</p>"
        h += d.namespaces.isEmpty ? "<p>No namespaced endpoints in scope.</p>" : SVGPlots.coverage(d.namespaces)
        return h + "</section>"
    }

    private static func unprotected(_ d: ReportDocument) -> String {
        let open = d.endpoints.filter { !$0.assessed.ingressDefaultDeny || !$0.assessed.egressDefaultDeny }
        var h = "<section id=\"unprotected\"><h2>Endpoints without a default deny</h2>"
        h += "<p class=\"meta\"><span data-metric=\"endpointsWithoutDefaultDeny\">\(open.count)</span> of \(d.endpoints.count) in-scope endpoints admit traffic that no rule explicitly allows, in at least one direction.</p>"
        guard !open.isEmpty else { return h + "</section>" }
        h += "<table><tr><th>endpoint</th><th>Calico ingress / egress protected</th><th>default deny ingress / egress</th><th>why</th></tr>"
        for a in open {
            h += "<tr data-endpoint=\"\(e(a.key.calicoName))\"><td>\(e(a.key.calicoName))</td>"
            h += "<td>\(yesNo(a.calico.ingressProtected)) / \(yesNo(a.calico.egressProtected))</td>"
            h += "<td>\(yesNo(a.assessed.ingressDefaultDeny)) / \(yesNo(a.assessed.egressDefaultDeny))</td>"
            h += "<td>\(a.findings.filter { !$0.contains(" the internet:") }.map(e).joined(separator: "<br>"))</td></tr>"
        }
        return h + "</table></section>"
    }

    private static func yesNo(_ v: Bool) -> String { v ? "<span class=\"yes\">yes</span>" : "<span class=\"no\">no</span>" }

    private static func audit(_ d: ReportDocument) -> String {
        var h = "<section id=\"events\"><h2>Policy changes</h2>"
        guard !d.policyChanges.isEmpty else { return h + "<p>No policy changes in the interval.</p></section>" }
        h += "<table><tr><th>time</th><th>change</th><th>kind</th><th>policy</th><th>by</th></tr>"
        for c in d.policyChanges {
            h += "<tr data-event=\"\(c.verb.rawValue)\"><td>\(e(c.time.wholeSecondsRFC3339))</td><td>\(c.verb.rawValue)</td><td>\(e(c.kind))</td><td>\(e(c.namespace.isEmpty ? c.name : "\(c.namespace)/\(c.name)"))</td><td>\(e(c.author))</td></tr>"
        }
        return h + "</table></section>"
    }
}
