/// HTTP/1.1 as a dissector expects it: each request is a header block that fills its segment
/// (the filler rides in an `X-Request-Id` header), each response starts with a header stating
/// the body's length across all of its segments.
extension TrafficGenerator {
    func writeHTTP(_ f: ActiveFlow, at offset: Int, count: Int, role: SegmentRole) {
        switch role {
        case .request:
            let scrape = f.serverPort == 9090 || f.serverPort == 9153
            let head = scrape ? Self.scrapeRequest : Self.apiRequest
            let tail = Self.requestEnd.count
            guard count >= head.count + tail + 1 else {
                head.withUnsafeBytes { _ = encoder.write($0, at: offset, limit: count) }
                return
            }
            head.withUnsafeBytes { _ = encoder.write($0, at: offset, limit: count) }
            Self.requestEnd.withUnsafeBytes { _ = encoder.write($0, at: offset + count - tail, limit: tail) }
        case .response:
            // Everything this response will carry: this segment, full ones, then the last.
            let remaining = f.segmentsLeft > 0 ? Int(f.segmentsLeft - 1) * f.maximumSegment + Int(f.responseLast) : 0
            let total = count + remaining
            let base = Self.responseHead.count + 4
            var digits = 1
            while digits < 9 && Self.decimalDigits(total - base - digits) != digits { digits += 1 }
            guard count >= base + digits else { return }
            Self.responseHead.withUnsafeBytes { _ = encoder.write($0, at: offset, limit: count) }
            var value = total - base - digits
            var at = offset + Self.responseHead.count + digits - 1
            for _ in 0..<digits {
                encoder.put8(at, UInt8(48 + value % 10))
                value /= 10
                at -= 1
            }
            let end = offset + Self.responseHead.count + digits
            encoder.put32(end, 0x0D0A_0D0A)
        case .none, .continuation:
            return
        }
    }

    static func decimalDigits(_ value: Int) -> Int {
        var v = max(0, value), n = 1
        while v >= 10 { v /= 10; n += 1 }
        return n
    }

    static let apiRequest = Array("GET /api/v1/items?page=2 HTTP/1.1\r\nHost: api\r\nUser-Agent: shop-client/4.2\r\nAccept: application/json\r\nX-Request-Id: ".utf8)
    static let scrapeRequest = Array("GET /metrics HTTP/1.1\r\nHost: scrape\r\nAccept: text/plain;version=0.0.4\r\nX-Request-Id: ".utf8)
    static let requestEnd = Array("\r\n\r\n".utf8)
    static let responseHead = Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ".utf8)
}
