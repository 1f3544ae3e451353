/// TLS 1.3 on the wire, well formed enough for a dissector: the first exchange is a
/// ClientHello (with SNI, padded to 517 bytes as browsers and curl send it) and a ServerHello;
/// every other segment is one application-data record filling the segment.
extension TrafficGenerator {
    func writeTLSRecords(_ f: ActiveFlow, at offset: Int, count: Int, role: SegmentRole) {
        if f.exchanges == 1 && role == .request && count >= 128 {
            writeClientHello(f, at: offset, count: count)
        } else if f.exchanges == 1 && role == .response && count >= Self.serverHelloLength + 6 {
            writeServerHello(at: offset)
            writeApplicationData(at: offset + Self.serverHelloLength, count: count - Self.serverHelloLength)
        } else if count >= 6 {
            writeApplicationData(at: offset, count: count)
        }
    }

    /// Record header, then ciphertext (the random-looking bytes already in place).
    private func writeApplicationData(at offset: Int, count: Int) {
        encoder.put8(offset, 0x17)
        encoder.put16(offset + 1, 0x0303)
        encoder.put16(offset + 3, UInt16(count - 5))
    }

    /// Record and handshake headers, legacy version, random and session id (left as they are),
    /// three TLS 1.3 suites, then extensions: server_name, supported_versions, padding.
    private func writeClientHello(_ f: ActiveFlow, at offset: Int, count: Int) {
        encoder.put8(offset, 0x16)
        encoder.put16(offset + 1, 0x0301)
        encoder.put16(offset + 3, UInt16(count - 5))
        encoder.put8(offset + 5, 1)  // client_hello
        encoder.put8(offset + 6, 0)
        encoder.put16(offset + 7, UInt16(count - 9))
        encoder.put16(offset + 9, 0x0303)
        encoder.put8(offset + 43, 32)  // session id length (32 bytes follow, already random)
        var n = offset + 76
        encoder.put16(n, 6)
        encoder.put16(n + 2, 0x1301)
        encoder.put16(n + 4, 0x1302)
        encoder.put16(n + 6, 0x1303)
        encoder.put8(n + 8, 1)  // one compression method: null
        encoder.put8(n + 9, 0)
        n += 10
        let extensionsStart = n + 2
        var e = extensionsStart
        let name = f.serverPort == 443 ? Self.providerName : Self.shopName
        encoder.put16(e, 0x0000)  // server_name
        encoder.put16(e + 2, UInt16(name.count + 5))
        encoder.put16(e + 4, UInt16(name.count + 3))
        encoder.put8(e + 6, 0)
        encoder.put16(e + 7, UInt16(name.count))
        name.withUnsafeBytes { _ = encoder.write($0, at: e + 9, limit: name.count) }
        e += 9 + name.count
        encoder.put16(e, 0x002B)  // supported_versions: TLS 1.3
        encoder.put16(e + 2, 3)
        encoder.put8(e + 4, 2)
        encoder.put16(e + 5, 0x0304)
        e += 7
        let padding = offset + count - e - 4
        encoder.put16(e, 0x0015)  // padding, zeros
        encoder.put16(e + 2, UInt16(padding))
        (encoder.frame + e + 4).initializeMemory(as: UInt8.self, repeating: 0, count: padding)
        encoder.put16(n, UInt16(offset + count - extensionsStart))
    }

    static let serverHelloLength = 5 + 4 + 2 + 32 + 1 + 32 + 2 + 1 + 2 + 6

    /// A ServerHello choosing TLS_AES_128_GCM_SHA256 and TLS 1.3.
    private func writeServerHello(at offset: Int) {
        encoder.put8(offset, 0x16)
        encoder.put16(offset + 1, 0x0303)
        encoder.put16(offset + 3, UInt16(Self.serverHelloLength - 5))
        encoder.put8(offset + 5, 2)  // server_hello
        encoder.put8(offset + 6, 0)
        encoder.put16(offset + 7, UInt16(Self.serverHelloLength - 9))
        encoder.put16(offset + 9, 0x0303)
        encoder.put8(offset + 43, 32)
        let n = offset + 76
        encoder.put16(n, 0x1301)
        encoder.put8(n + 2, 0)
        encoder.put16(n + 3, 6)
        encoder.put16(n + 5, 0x002B)
        encoder.put16(n + 7, 2)
        encoder.put16(n + 9, 0x0304)
    }

    static let providerName = Array("api.payments.example".utf8)
    static let shopName = Array("shop.example.com".utf8)
}
