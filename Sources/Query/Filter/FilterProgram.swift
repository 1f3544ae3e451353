import FlowCore

/// A filter compiled once into a flat instruction array, evaluated per flow without recursion,
/// closures or existentials: tests set one result register, and `and`/`or` become conditional
/// jumps over the right operand (short-circuit), `not` a negation of the register.
///
/// `a and b` → `a; jumpIfFalse L; b; L:`   `a or b` → `a; jumpIfTrue L; b; L:`
public struct FilterProgram: Sendable {
    enum Instruction: Sendable {
        case test(FilterPredicate)
        case jumpIfFalse(Int)
        case jumpIfTrue(Int)
        case negate
        case constant(Bool)
    }

    let instructions: [Instruction]
    /// The expression it came from, kept for block pruning.
    public let expression: FilterExpression

    public init(_ expression: FilterExpression) {
        var code: [Instruction] = []
        Self.emit(expression, into: &code)
        instructions = code
        self.expression = expression
    }

    /// Parses and compiles `text`; an empty text matches everything.
    public init(parsing text: String) throws {
        self.init(try FilterParser.parse(text))
    }

    private static func emit(_ expression: FilterExpression, into code: inout [Instruction]) {
        switch expression {
        case .all:
            code.append(.constant(true))
        case .predicate(let p):
            code.append(.test(p))
        case .not(let inner):
            emit(inner, into: &code)
            code.append(.negate)
        case .and(let l, let r), .or(let l, let r):
            emit(l, into: &code)
            let jump = code.count
            code.append(.constant(false))  // patched below
            emit(r, into: &code)
            if case .and = expression { code[jump] = .jumpIfFalse(code.count) } else { code[jump] = .jumpIfTrue(code.count) }
        }
    }

    /// Whether `record` passes.
    public func matches(_ record: AnnotatedFlow) -> Bool {
        // Matching on the optional borrows its payload; `annotation ?? default` would copy it,
        // a score of references retained and released per flow.
        switch record.annotation {
        case .some(let annotation): return run(record, annotation, annotated: true)
        case .none: return run(record, .absent, annotated: false)
        }
    }

    private func run(_ record: AnnotatedFlow, _ annotation: FlowAnnotation, annotated: Bool) -> Bool {
        var result = true
        var pc = 0
        let count = instructions.count
        while pc < count {
            switch instructions[pc] {
            case .test(let predicate):
                result = predicate.evaluate(record, annotation, annotated: annotated)
                pc += 1
            case .jumpIfFalse(let target):
                pc = result ? pc + 1 : target
            case .jumpIfTrue(let target):
                pc = result ? target : pc + 1
            case .negate:
                result = !result
                pc += 1
            case .constant(let value):
                result = value
                pc += 1
            }
        }
        return result
    }

    /// True when the filter accepts every flow (nothing to evaluate).
    public var acceptsEverything: Bool {
        if case .all = expression { return true }
        return false
    }
}
