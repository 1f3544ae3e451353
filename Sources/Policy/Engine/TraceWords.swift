import FlowCore

/// A trace's hits as machine words, one per hit, while a walk runs: what decided (a policy by
/// number, a profile by number, or no profile), with the action and rule index. Trace entries
/// carry three strings each; building them for every walk cost a retain per string and hashing
/// every string to share equal traces, while the words hash as integers and become strings only
/// for a trace not seen before.
///
///     bits 60–63  kind (0 policy, 1 profile, 2 no profile matched, 3 the trace's own header)
///     bits 56–59  action (PolicyAction's raw value; in the header: the reporter)
///     bits 28–55  rule index, a 28-bit two's complement number (-1: a tier's end)
///     bits  0–27  policy or profile number (in the header: the trace's verdict)
///
/// 2^27 rules or 2^28 policies would not fit in the largest manifest the loader reads (256 MiB).
enum TraceWords {
    enum Kind: UInt8 {
        case policy = 0, profile = 1, noProfileMatched = 2, header = 3
    }

    @inline(__always)
    private static func word(_ kind: Kind, number: Int, action: UInt8, ruleIndex: Int) -> UInt64 {
        UInt64(kind.rawValue) << 60 | UInt64(action & 0xF) << 56 | (UInt64(bitPattern: Int64(ruleIndex)) & 0xFFF_FFFF) << 28
            | UInt64(number) & 0xFFF_FFFF
    }

    static func policy(_ number: Int, action: PolicyAction, ruleIndex: Int) -> UInt64 {
        word(.policy, number: number, action: action.rawValue, ruleIndex: ruleIndex)
    }

    static func profile(_ number: Int, action: PolicyAction, ruleIndex: Int) -> UInt64 {
        word(.profile, number: number, action: action.rawValue, ruleIndex: ruleIndex)
    }

    /// The dataplane's drop when no profile allowed (rule 0); the pending evaluator's form has -1.
    static func noProfileMatched(pending: Bool) -> UInt64 {
        word(.noProfileMatched, number: 0, action: PolicyAction.deny.rawValue, ruleIndex: pending ? -1 : 0)
    }

    static func header(reporter: Reporter, action: Verdict) -> UInt64 {
        word(.header, number: Int(action.rawValue), action: reporter.rawValue, ruleIndex: 0)
    }

    /// A hit word's fields (not the header's).
    static func fields(_ word: UInt64) -> (kind: Kind, number: Int, action: PolicyAction, ruleIndex: Int) {
        let kind = Kind(rawValue: UInt8(truncatingIfNeeded: word >> 60)) ?? .policy
        let action = PolicyAction(rawValue: UInt8(truncatingIfNeeded: word >> 56) & 0xF) ?? .deny
        // Sign-extend the 28-bit rule index.
        let ruleIndex = Int(Int64(bitPattern: word << 8) >> 36)
        return (kind, Int(word & 0xFFF_FFFF), action, ruleIndex)
    }
}
