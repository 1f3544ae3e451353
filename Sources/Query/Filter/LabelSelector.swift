import FlowCore
import Policy

/// A Calico selector inside a filter (`src.labels "app == 'web'"`), compiled once by the
/// policy stage's selector parser; its errors are moved to the filter's columns.
public struct LabelSelector: Sendable {
    public let selector: Selector

    init(parsing text: String, column: Int, quoted: Bool) throws {
        do {
            selector = try Selector(parsing: text)
        } catch let error as FlowlogError {
            let inner = error.location?.column ?? 1
            throw FilterLexer.error("bad label selector: \(error.message)", column: column + (quoted ? 1 : 0) + inner - 1)
        }
    }

    func matches(_ labels: [String: String]) -> Bool { selector.matches(labels) }
}
