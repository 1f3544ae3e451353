/// A parsed filter: predicates joined by `and`, `or`, `not`.
public indirect enum FilterExpression: Sendable {
    case predicate(FilterPredicate)
    case and(FilterExpression, FilterExpression)
    case or(FilterExpression, FilterExpression)
    case not(FilterExpression)
    /// The empty filter: every flow.
    case all
}
