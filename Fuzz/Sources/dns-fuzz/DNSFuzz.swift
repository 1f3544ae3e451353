import Capture
import FlowCore

/// Called by libFuzzer for each input: the bytes as a DNS message. The parser must answer (a
/// response, not one, or malformed with an offset inside the message), never crash or hang, and
/// what it returns must keep its promises: at least one name per answer, names of at most 255
/// bytes in lowercase, chains no longer than the cap; the cache must take and give them back.
func dnsFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var parser = DNSResponseParser()
    let message = UnsafeRawBufferPointer(start: data, count: size)
    switch parser.parse(message) {
    case .malformed(_, let offset):
        guard offset >= 0, offset <= size else { fatalError("malformed offset \(offset) outside a \(size)-byte message") }
        guard parser.answers.isEmpty else { fatalError("answers kept from a malformed message") }
    case .notResponse:
        break
    case .response:
        for answer in parser.answers {
            guard !answer.names.isEmpty, answer.names.count <= DNSResponseParser.maximumChain + 1 else {
                fatalError("answer with \(answer.names.count) names")
            }
            for name in answer.names {
                guard name.utf8.count <= DNSResponseParser.maximumNameLength else { fatalError("name of \(name.utf8.count) bytes") }
                guard !name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { fatalError("name not lowercased: \(name)") }
            }
        }
        // Room for every answer of a message; past 16 entries for one address some are dropped.
        let cache = DNSNameCache(capacity: 1 << 10)
        let client = IPAddress(ipv4: 0x0A00_0001)
        cache.record(client: client, answers: parser.answers, at: 1_000_000_000)
        for answer in parser.answers
            where parser.answers.lazy.filter({ $0.address == answer.address }).count <= DNSNameCache.clientsPerAddress {
            let found = cache.lookup(client: client, address: answer.address, start: 1_000_000_000, end: 1_000_000_000)
            guard found.forClient.names.contains(answer.names[0]) else { fatalError("cache lost \(answer.names[0])") }
        }
    }
    // Every prefix of the input is a message cut short: it must be answered as well.
    if size > 12 {
        var again = DNSResponseParser()
        _ = again.parse(UnsafeRawBufferPointer(start: data, count: size / 2))
    }
    return 0
}
