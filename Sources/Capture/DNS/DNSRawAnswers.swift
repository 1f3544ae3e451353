import FlowCore

/// The address answers of one DNS response as the parser reads them, before any text is made:
/// every name's bytes side by side in `bytes`, each answer's names a run of `chain`.
///
/// The capture meets the same few names over and over (every client asks for the same
/// services), so it looks a list up by these bytes (`NameListInterner`) and makes strings only
/// for a list it has not met; a parser's arrays keep their capacity from one message to the
/// next, so reading a response allocates nothing once they have grown.
///
/// ```text
/// bytes   "www.example.com" "cdn.example.com" …   lowercase ASCII, labels joined by dots,
///          ^start 0, count 15 ^start 15, count 15     no trailing dot, no separator
/// chain   [Span] in answer order; answer i's names are chain[chainStart ..< chainEnd]:
///         the name asked for first, then the CNAME chain down to the record's owner
/// ```
struct DNSRawAnswers {
    /// A name: `count` bytes of `bytes` from `start`.
    struct Span: Equatable {
        var start: Int32
        var count: Int32
    }

    struct Answer {
        var address: IPAddress
        /// The smallest TTL along the chain.
        var ttl: UInt32
        var chainStart: Int32
        var chainEnd: Int32
    }

    var bytes: [UInt8] = []
    var chain: [Span] = []
    var answers: [Answer] = []

    init() {
        bytes.reserveCapacity(1024)
        chain.reserveCapacity(16)
        answers.reserveCapacity(16)
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        chain.removeAll(keepingCapacity: true)
        answers.removeAll(keepingCapacity: true)
    }

    /// Whether two names are the same (byte for byte: names are ASCII, already lowercase).
    func equal(_ a: Span, _ b: Span) -> Bool {
        guard a.count == b.count else { return false }
        if a.start == b.start { return true }
        return bytes.withUnsafeBufferPointer { all in
            var i = 0
            let x = Int(a.start), y = Int(b.start)
            while i < Int(a.count) {
                if all[x + i] != all[y + i] { return false }
                i += 1
            }
            return true
        }
    }

    func text(of name: Span) -> String {
        String(decoding: bytes[Int(name.start)..<Int(name.start + name.count)], as: UTF8.self)
    }
}
