import FlowCore
import Policy

/// Label maps every parsed selector is evaluated against, so the fuzzer also exercises matching
/// and checks that a selector and its canonical form agree.
private let probeLabels: [[String: String]] = [
    [:],
    ["a": "b"],
    ["a": "", "b": "c", "in": "x", "not": "a"],
    ["app": "web", "projectcalico.org/namespace": "shop", "x": "it's", "y": "\"q\""],
]

/// Called by libFuzzer for each input: any bytes must give a selector or a parse error, never a crash.
func selectorFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let parsed: Selector
    do {
        parsed = try Selector(parsing: text)
    } catch let error as FlowlogError {
        guard error.code == .parse, error.location?.column != nil else {
            fatalError("parse error without code .parse or a column: \(error)")
        }
        return 0
    } catch {
        fatalError("unexpected error type \(error)")
    }
    let canonical = parsed.canonical
    let again: Selector
    do {
        again = try Selector(parsing: canonical)
    } catch {
        fatalError("canonical form does not parse: \(canonical) from \(text): \(error)")
    }
    // Calico prints `!(!x)` as `!!x`, which parses back as `x` (a run of `!` collapses by
    // parity), so one round may change the text; a second round never does.
    let third: Selector
    do {
        third = try Selector(parsing: again.canonical)
    } catch {
        fatalError("second canonical form does not parse: \(again.canonical): \(error)")
    }
    guard third.canonical == again.canonical, third.uid == again.uid else {
        fatalError("canonical form is not stable: \(canonical) → \(again.canonical) → \(third.canonical)")
    }
    for labels in probeLabels where parsed.matches(labels) != again.matches(labels) {
        fatalError("selector and canonical form disagree on \(labels): \(text) vs \(canonical)")
    }
    return 0
}
