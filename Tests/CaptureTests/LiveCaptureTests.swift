import Capture
import FlowCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Captures on the loopback interface while the test itself sends UDP and TCP to 127.0.0.1.
/// Needs CAP_NET_RAW; without it the test prints why and checks nothing else.
struct LiveCaptureTests {
    /// Shared by the test and its capture thread; the semaphore orders every access (the
    /// thread writes before `signal()`, the test reads after `wait()`), hence unchecked.
    final class Run: @unchecked Sendable {
        var capture: FlowCapture
        var source: PacketSource?
        var sink = CollectingFlowSink()
        var error: Error?
        /// Flows the sink had before `breakLoop()`, i.e. emitted by wall-clock expiry.
        var flowsBeforeBreak = 0
        init(_ configuration: FlowCacheConfiguration) { capture = FlowCapture(cache: configuration, batchSize: 1) }
    }

    /// Immediate mode (per-packet delivery), the default buffered ring and a large one (whose
    /// reads pause while packets flow) all deliver, and all let idle flows expire by the wall
    /// clock and stop at `breakLoop()`.
    @Test(arguments: [(true, 0), (false, 0), (false, 64 << 20)])
    func loopbackUDPAndTCP(immediate: Bool, bufferSize: Int) throws {
        // Kernel-chosen ports, bound before the capture opens, so parallel runs never collide.
        let receiver = try boundSocket(Int32(SOCK_DGRAM.rawValue))
        defer { close(receiver.fd) }
        let listener = try boundSocket(Int32(SOCK_STREAM.rawValue))
        defer { close(listener.fd) }
        let udpPort = receiver.port, tcpPort = listener.port
        let configuration = LiveCaptureConfiguration(snaplen: 256, promiscuous: false, bufferSize: bufferSize,
                                                     filter: "udp port \(udpPort) or tcp port \(tcpPort)",
                                                     immediate: immediate, readTimeoutMilliseconds: 50)
        let source: PacketSource
        do {
            source = try PacketSource(liveInterface: "lo", configuration: configuration)
        } catch let error as FlowlogError where error.code == .permissionDenied {
            print("skipping live capture on lo: CAP_NET_RAW is missing (\(error))")
            return
        }
        #expect(source.isLive && source.linkType == .ethernet)

        let run = Run(FlowCacheConfiguration(idleTimeoutSeconds: 0.5, activeTimeoutSeconds: 0, teardownLingerSeconds: 0.2))
        let finished = DispatchSemaphore(value: 0)
        let breaker = source.loopBreaker
        run.source = source
        let thread = Thread {
            do { try run.capture.run(run.source!, into: &run.sink) } catch { run.error = error }
            finished.signal()
        }
        thread.start()
        usleep(200_000)  // the handle is active already; give the thread time to block in its read

        try sendUDP(port: udpPort, count: 3)
        try tcpExchange(listener: listener.fd, port: tcpPort)
        // Silence longer than the idle timeout: the capture must expire flows by the wall clock.
        usleep(1_500_000)
        run.flowsBeforeBreak = run.sink.flows.count
        breaker.breakLoop()
        #expect(finished.wait(timeout: .now() + 5) == .success, "run returned after breakLoop()")
        run.capture.finish(into: &run.sink)
        #expect(run.error == nil)

        let udp = run.sink.flows.filter { $0.ipProtocol == .udp && $0.destinationPort == udpPort }
        #expect(udp.count == 1)
        #expect(udp.first?.packetsOut == 3)
        #expect(udp.first?.sourceAddress == IPAddress("127.0.0.1"))
        #expect(udp.first?.status.contains(.expiredIdle) == true)
        let tcp = run.sink.flows.filter { $0.ipProtocol == .tcp && $0.destinationPort == tcpPort }
        #expect(tcp.count >= 1)
        let connection = try #require(tcp.first)
        #expect(connection.status.contains(.startObserved))
        #expect(connection.tcpFlagsOut.contains(.syn) && connection.tcpFlagsIn.contains([.syn, .ack]))
        #expect(connection.packets >= 6)  // handshake, data, FINs
        #expect(run.flowsBeforeBreak >= 2)
        let kernel = try #require(run.capture.statistics.kernel)
        #expect(kernel.received >= run.capture.statistics.packets)
        #expect(run.capture.statistics.packets >= 9)
    }

    /// The pause between looks while packets flow never outlasts a quarter of the kernel buffer
    /// at 1 GB/s, and libpcap's default buffer gets none.
    @Test func busyPauseIsBoundedByTheBuffer() {
        #expect(PacketSource.busyPause(bufferBytes: 0) == 0)
        #expect(PacketSource.busyPause(bufferBytes: 2 << 20) == 0)
        #expect(PacketSource.busyPause(bufferBytes: 64 << 20) == 16)
        #expect(PacketSource.busyPause(bufferBytes: 1 << 30) == 20)
    }

    @Test func unknownInterfaceIsAClearError() {
        let error = #expect(throws: FlowlogError.self) {
            try PacketSource(liveInterface: "no-such-interface0", configuration: LiveCaptureConfiguration())
        }
        #expect(error?.location?.field?.contains("no-such-interface0") == true)
    }

    @Test func badFilterIsAClearError() throws {
        do {
            _ = try PacketSource(liveInterface: "lo", configuration: LiveCaptureConfiguration(filter: "udp port banana"))
            Issue.record("a filter that cannot compile was accepted")
        } catch let error as FlowlogError {
            if error.code == .permissionDenied {
                print("skipping filter check on lo: CAP_NET_RAW is missing")
                return
            }
            #expect(error.code == .invalidArgument)
            #expect(error.call == "pcap_compile")
        }
    }

    // MARK: - Traffic

    func sendUDP(port: UInt16, count: Int) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = loopback(port)
        for i in 0..<count {
            var payload = [UInt8](repeating: UInt8(i), count: 32)
            let sent = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, &payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            #expect(sent == payload.count)
        }
    }

    /// A socket bound to 127.0.0.1 on a port the kernel picks.
    func boundSocket(_ type: Int32) throws -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, type, 0)
        try #require(fd >= 0)
        var address = loopback(0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0, "bind 127.0.0.1:0")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        try #require(named == 0)
        return (fd, UInt16(bigEndian: address.sin_port))
    }

    /// Connects to our own listener, sends a few bytes each way, closes both ends.
    func tcpExchange(listener: Int32, port: UInt16) throws {
        var address = loopback(port)
        try #require(listen(listener, 1) == 0)
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(client >= 0)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let server = accept(listener, nil, nil)
        try #require(server >= 0)
        var hello = Array("hello".utf8)
        _ = write(client, &hello, hello.count)
        var buffer = [UInt8](repeating: 0, count: 16)
        _ = read(server, &buffer, buffer.count)
        _ = write(server, &hello, hello.count)
        _ = read(client, &buffer, buffer.count)
        close(client)
        _ = read(server, &buffer, buffer.count)  // sees the FIN
        close(server)
        usleep(50_000)
    }

    func loopback(_ port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
