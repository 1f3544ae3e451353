import Foundation
import FlowCore

/// The report's plots as inline SVG: drawn here, from the report's numbers, with every number
/// also written as text in the plot (so the page reads without colour and tests can check it).
enum SVGPlots {
    static let allowedColour = (r: 0x1B, g: 0x7F, b: 0x5C)
    static let deniedColour = (r: 0xC0, g: 0x39, b: 0x2B)

    /// A heat map of `value` over source (rows) × destination (columns) groups.
    static func matrix(groups: [String], cells: [String: [String: MatrixCell]], kind: String,
                       value: (MatrixCell) -> UInt64, colour: (r: Int, g: Int, b: Int)) -> String {
        let cell = 54, labelWidth = 130, top = 120
        let width = labelWidth + cell * groups.count + 10
        let height = top + cell * groups.count + 10
        let maximum = groups.flatMap { s in groups.map { d in value(cells[s]?[d] ?? MatrixCell()) } }.max() ?? 0
        var svg = "<svg role=\"img\" aria-label=\"\(kind) flows between namespaces\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        svg += "<text x=\"4\" y=\"14\" class=\"axis\">source ↓ destination →</text>"
        for (i, g) in groups.enumerated() {
            let x = labelWidth + i * cell + cell / 2
            svg += "<text class=\"axis\" transform=\"translate(\(x),\(top - 6)) rotate(-45)\">\(HTMLText.escape(g))</text>"
            svg += "<text class=\"axis\" x=\"\(labelWidth - 6)\" y=\"\(top + i * cell + cell / 2 + 4)\" text-anchor=\"end\">\(HTMLText.escape(g))</text>"
        }
        for (r, source) in groups.enumerated() {
            for (c, destination) in groups.enumerated() {
                let v = value(cells[source]?[destination] ?? MatrixCell())
                let x = labelWidth + c * cell, y = top + r * cell
                let opacity = v == 0 || maximum == 0 ? 0.0 : 0.15 + 0.85 * (log1p(Double(v)) / log1p(Double(maximum)))
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(cell - 2)\" height=\"\(cell - 2)\" fill=\"rgb(\(colour.r),\(colour.g),\(colour.b))\" fill-opacity=\"\(JSONText.decimal(opacity, digits: 3))\" stroke=\"#ccc\"/>"
                svg += "<text x=\"\(x + cell / 2 - 1)\" y=\"\(y + cell / 2 + 4)\" text-anchor=\"middle\" class=\"\(opacity > 0.6 ? "cell dark" : "cell")\" data-matrix=\"\(kind)\" data-source=\"\(HTMLText.escape(source))\" data-destination=\"\(HTMLText.escape(destination))\">\(v)</text>"
            }
        }
        return svg + "</svg>"
    }

    /// Per namespace, three bars out of its endpoint count: Calico-protected (both directions),
    /// default-deny ingress, default-deny egress.
    static func coverage(_ namespaces: [NamespaceAssessment]) -> String {
        let row = 58, labelWidth = 140, barWidth = 420, top = 28
        let width = labelWidth + barWidth + 200
        let height = top + row * max(1, namespaces.count) + 10
        var svg = "<svg role=\"img\" aria-label=\"protection coverage per namespace\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\">"
        svg += "<rect x=\"\(labelWidth)\" y=\"6\" width=\"10\" height=\"10\" fill=\"#7f8c8d\"/><text x=\"\(labelWidth + 14)\" y=\"15\" class=\"axis\">Calico: protected both ways</text>"
        svg += "<rect x=\"\(labelWidth + 200)\" y=\"6\" width=\"10\" height=\"10\" fill=\"rgb(27,127,92)\"/><text x=\"\(labelWidth + 214)\" y=\"15\" class=\"axis\">default deny: ingress / egress</text>"
        for (i, n) in namespaces.enumerated() {
            let y = top + i * row
            svg += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 24)\" text-anchor=\"end\" class=\"axis\">\(HTMLText.escape(n.name))</text>"
            let bothCalico = min(n.calicoIngressProtected, n.calicoEgressProtected)
            let bars: [(String, Int, String)] = [("calicoProtected", bothCalico, "#7f8c8d"),
                                                 ("ingressDefaultDeny", n.ingressDefaultDeny, "rgb(27,127,92)"),
                                                 ("egressDefaultDeny", n.egressDefaultDeny, "rgb(27,127,92)")]
            for (j, bar) in bars.enumerated() {
                let by = y + j * 16
                let w = n.endpoints == 0 ? 0 : barWidth * bar.1 / n.endpoints
                svg += "<rect x=\"\(labelWidth)\" y=\"\(by)\" width=\"\(barWidth)\" height=\"13\" fill=\"#eee\"/>"
                svg += "<rect x=\"\(labelWidth)\" y=\"\(by)\" width=\"\(w)\" height=\"13\" fill=\"\(bar.2)\"/>"
                svg += "<text x=\"\(labelWidth + barWidth + 6)\" y=\"\(by + 11)\" class=\"axis\" data-namespace=\"\(HTMLText.escape(n.name))\" data-metric=\"\(bar.0)\">\(bar.1)</text>"
                svg += "<text x=\"\(labelWidth + barWidth + 40)\" y=\"\(by + 11)\" class=\"axis\">of \(n.endpoints) \(bar.0 == "calicoProtected" ? "Calico-protected" : bar.0 == "ingressDefaultDeny" ? "deny ingress by default" : "deny egress by default")</text>"
            }
        }
        return svg + "</svg>"
    }

    /// Allowed and denied flows per slice of the interval, stacked, allowed at the bottom.
    static func timeline(_ cells: [MatrixCell], start: Timestamp, bucket: UInt64) -> String {
        let barWidth = 14, height = 220, left = 60, bottom = 190
        let width = left + barWidth * cells.count + 20
        let maximum = max(1, cells.map { $0.allowed &+ $0.denied }.max() ?? 1)
        var svg = "<svg role=\"img\" aria-label=\"allowed and denied flows over time\" width=\"\(width)\" height=\"\(height + 20)\" viewBox=\"0 0 \(width) \(height + 20)\">"
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - 10)\" y2=\"\(bottom)\" stroke=\"#555\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(bottom - 170 + 4)\" text-anchor=\"end\" class=\"axis\">\(maximum)</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(bottom + 4)\" text-anchor=\"end\" class=\"axis\">0</text>"
        for (i, c) in cells.enumerated() {
            let x = left + i * barWidth
            let allowedHeight = Int(170 * Double(c.allowed) / Double(maximum))
            let deniedHeight = Int(170 * Double(c.denied) / Double(maximum))
            let begins = Timestamp(nanoseconds: start.nanoseconds &+ UInt64(i) &* bucket).wholeSecondsRFC3339
            svg += "<g><title>\(begins): \(c.allowed) allowed, \(c.denied) denied</title>"
            svg += "<rect x=\"\(x)\" y=\"\(bottom - allowedHeight)\" width=\"\(barWidth - 2)\" height=\"\(allowedHeight)\" fill=\"rgb(27,127,92)\"/>"
            svg += "<rect x=\"\(x)\" y=\"\(bottom - allowedHeight - deniedHeight)\" width=\"\(barWidth - 2)\" height=\"\(deniedHeight)\" fill=\"rgb(192,57,43)\"/></g>"
        }
        let first = start.wholeSecondsRFC3339
        let last = Timestamp(nanoseconds: start.nanoseconds &+ UInt64(cells.count) &* bucket).wholeSecondsRFC3339
        svg += "<text x=\"\(left)\" y=\"\(bottom + 18)\" class=\"axis\">\(first)</text>"
        svg += "<text x=\"\(width - 10)\" y=\"\(bottom + 18)\" text-anchor=\"end\" class=\"axis\">\(last)</text>"
        return svg + "</svg>"
    }
}
