import FlowCore
import Foundation
@testable import SIEMConfig
@testable import SIEMExport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Syslog over UDP (RFC 5426): one whole message per datagram, no octet count.
@Suite("SIEM syslog over UDP")
struct SyslogUDPTests {
    @Test("every flow arrives as one datagram holding exactly one RFC 5424 message")
    func datagrams() throws {
        let store = TestStore.temporaryDirectory("udp")
        defer { TestStore.remove(store) }
        let flows = try TestStore.write(store, count: 300)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var size: Int32 = 16 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        try #require(bound == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var configuration = SIEMConfiguration()
        var sink = SIEMConfiguration.Sink(name: "udp", type: .syslog)
        sink.address = "127.0.0.1:\(port)"
        sink.transport = .udp
        sink.batching.count = 50
        configuration.sinks = [sink]
        let result = SIEMExportRun(configuration: configuration, sources: RecordSources(dataDirectory: store), follow: false,
                                   log: { _ in }).run()[0]
        #expect(result.failure == nil && result.metrics.sent == 300)

        var messages: [String] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while messages.count < 300 {
            let n = recv(fd, &buffer, buffer.count, 0)
            guard n > 0 else { break }
            messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
        }
        #expect(messages.count == 300)
        for message in messages {
            #expect(message.hasPrefix("<134>1 ") || message.hasPrefix("<132>1 "))
            #expect(message.contains(" flowlog - flow [flow@32473 "))
        }
        let bodies = messages.compactMap { m in m.range(of: "] {").map { String(m[m.index(before: $0.upperBound)...]) } }
        #expect(bodies.sorted() == TestStore.json(flows).sorted())
    }
}
