/// A failed request to ClickHouse: the server could not be reached, or it answered with an
/// exception (`Code: N, … DB::Exception: …`).
public struct ClickHouseError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Connection refused, reset or timed out: the request may or may not have been executed.
        case unreachable
        /// The server answered with a non-200 status.
        case server(status: Int, code: Int?)
    }

    public let kind: Kind
    public let message: String

    /// Exception codes that say "later" rather than "never" (ClickHouse's ErrorCodes).
    static let transientCodes: Set<Int> = [
        159,  // TIMEOUT_EXCEEDED
        202,  // TOO_MANY_SIMULTANEOUS_QUERIES
        209, 210,  // SOCKET_TIMEOUT, NETWORK_ERROR
        216,  // QUERY_WITH_SAME_ID_IS_ALREADY_RUNNING
        241,  // MEMORY_LIMIT_EXCEEDED
        252,  // TOO_MANY_PARTS
        279,  // ALL_CONNECTION_TRIES_FAILED
    ]

    /// Whether trying again later can succeed without anyone changing anything.
    public var isTransient: Bool {
        switch kind {
        case .unreachable: return true
        case .server(let status, let code):
            if let code { return Self.transientCodes.contains(code) }
            return status >= 500
        }
    }

    /// The exception code ClickHouse put in its answer.
    public var code: Int? {
        if case .server(_, let code) = kind { return code }
        return nil
    }

    init(unreachable message: String) {
        kind = .unreachable
        self.message = message
    }

    init(status: Int, body: [UInt8]) {
        var text = String(decoding: body.prefix(4096), as: UTF8.self)
        while text.last == "\n" || text.last == " " { text.removeLast() }
        kind = .server(status: status, code: Self.exceptionCode(in: text))
        message = text.isEmpty ? "HTTP status \(status)" : text
    }

    /// `Code: 60, e.displayText() = …` (18.x) or `Code: 60. DB::Exception: …` (current).
    static func exceptionCode(in text: String) -> Int? {
        guard let range = text.range(of: "Code: ") else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        return Int(digits)
    }

    public var description: String {
        switch kind {
        case .unreachable: return "ClickHouse unreachable: \(message)"
        case .server: return "ClickHouse: \(message)"
        }
    }
}
