/// `=`, `!=`, `<`, `<=`, `>`, `>=`.
public enum ComparisonOperator: UInt8, Sendable, CustomStringConvertible {
    case equal, notEqual, less, lessOrEqual, greater, greaterOrEqual

    func holds(_ lhs: UInt64, _ rhs: UInt64) -> Bool {
        switch self {
        case .equal: return lhs == rhs
        case .notEqual: return lhs != rhs
        case .less: return lhs < rhs
        case .lessOrEqual: return lhs <= rhs
        case .greater: return lhs > rhs
        case .greaterOrEqual: return lhs >= rhs
        }
    }

    public var description: String {
        switch self {
        case .equal: return "="
        case .notEqual: return "!="
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        }
    }
}
