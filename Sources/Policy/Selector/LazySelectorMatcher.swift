import Synchronization

/// A selector's `SelectorMatcher`, compiled the first time something matches labels with it.
///
/// Loading a cluster makes thousands of selectors the policy engine never asks to match a
/// label map (it numbers selectors, `NumberedSelectors`), most of them steps of a rule's
/// scoping (`Selector.and`, the namespace and service-account rewrites): compiling each one
/// as it was made was 1.5 % of the replay's instructions. Queries and reports, which do
/// match, compile once per selector and then pay one atomic load per match.
final class LazySelectorMatcher: Sendable {
    private let expression: SelectorExpression
    /// The compiled matcher's address (retained: this box owns one reference), 0 until the
    /// first use. An address as a number: `Atomic` of a pointer would not be `Sendable`.
    private let compiled = Atomic<UInt>(0)

    init(_ expression: SelectorExpression) {
        self.expression = expression
    }

    var matcher: SelectorMatcher {
        if let known = UnsafeRawPointer(bitPattern: compiled.load(ordering: .acquiring)) {
            return Unmanaged<SelectorMatcher>.fromOpaque(known).takeUnretainedValue()
        }
        let made = SelectorMatcher(expression)
        let retained = Unmanaged.passRetained(made).toOpaque()
        let (stored, original) = compiled.compareExchange(expected: 0, desired: UInt(bitPattern: retained), ordering: .acquiringAndReleasing)
        if stored { return made }
        // Another thread compiled it first: keep theirs (every matcher of one expression
        // matches alike), drop this one.
        Unmanaged<SelectorMatcher>.fromOpaque(retained).release()
        return Unmanaged<SelectorMatcher>.fromOpaque(UnsafeRawPointer(bitPattern: original)!).takeUnretainedValue()
    }

    /// Whether a matcher was compiled (tests).
    var isCompiled: Bool { compiled.load(ordering: .acquiring) != 0 }

    deinit {
        if let known = UnsafeRawPointer(bitPattern: compiled.load(ordering: .acquiring)) {
            Unmanaged<SelectorMatcher>.fromOpaque(known).release()
        }
    }
}
