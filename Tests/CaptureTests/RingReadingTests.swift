@testable import Capture
import FlowCore
import FlowTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's receive ring read directly (`PacketRing`, `FlowCapture.readRing`) against
/// libpcap reading the same interface at the same time: two sources on the loopback interface
/// of a network namespace the test makes (`PrivateNetwork`), random UDP datagrams (random sizes
/// and counts, several ports) and TCP exchanges sent by the test, and both captures must make
/// the same flows of them, packet and byte counts, flags and status included, with nothing
/// dropped. (The time stamps are the kernel's, given to each socket separately, and may
/// differ by the microseconds between the two; the block walk's own handling of them is checked
/// exactly in `PacketRingBlockTests`.) The namespace's `lo` carries the test's traffic alone,
/// so every flow must be the test's and a drop can only be of its packets. Needs root for the
/// namespace; without it the test says so and stops (CI requires it).
struct RingReadingTests {
    final class Run: @unchecked Sendable {
        // The semaphore orders every access: the thread writes before `signal()`, the test
        // reads after `wait()`.
        var capture = FlowCapture(cache: FlowCacheConfiguration(idleTimeoutSeconds: 30, activeTimeoutSeconds: 0,
                                                                teardownLingerSeconds: 0), batchSize: 7)
        let source: PacketSource
        var sink = CollectingFlowSink()
        var error: Error?
        var progress: [UInt64] = []
        let finished = DispatchSemaphore(value: 0)
        init(_ source: PacketSource) { self.source = source }

        func start() {
            capture.progressInterval = 64
            Thread { [self] in
                do {
                    try capture.run(source, into: &sink) { [self] in progress.append($0.packets) }
                } catch {
                    self.error = error
                }
                finished.signal()
            }.start()
        }
    }

    static func open(directRing: Bool) throws -> PacketSource? {
        let configuration = LiveCaptureConfiguration(snaplen: 262_144, promiscuous: false, bufferSize: 4 << 20,
                                                     readTimeoutMilliseconds: 50, directRing: directRing)
        do {
            return try PacketSource(liveInterface: "lo", configuration: configuration)
        } catch let error as FlowlogError where error.code == .permissionDenied {
            print("skipping the ring comparison on lo: CAP_NET_RAW is missing (\(error))")
            return nil
        }
    }

    /// A flow without its time stamps, for comparing two captures of the same packets.
    struct Untimed: Hashable, Comparable {
        var text: String
        init(_ flow: FlowRecord) {
            var flow = flow
            flow.start = Timestamp(nanoseconds: 0)
            flow.end = Timestamp(nanoseconds: 0)
            text = "\(flow)"
        }
        static func < (a: Self, b: Self) -> Bool { a.text < b.text }
    }

    @Test(arguments: [21, 22, 23])
    func ringAndLibpcapMakeTheSameFlows(seed: UInt64) throws {
        guard let network = try PrivateNetwork.forTest("the ring comparison") else { return }
        // The sources, the capture threads and the sockets are all made inside.
        try network.whileJoined { try Self.compareRingAndLibpcap(seed: seed) }
    }

    static func compareRingAndLibpcap(seed: UInt64) throws {
        guard let ringSource = try Self.open(directRing: true), let libpcapSource = try Self.open(directRing: false) else { return }
        #expect(ringSource.readsRingDirectly)
        #expect(!libpcapSource.readsRingDirectly)
        #expect(ringSource.linkType == libpcapSource.linkType)

        let live = LiveCaptureTests()
        var random = SeededRandom(base: SplitMix64(seed: seed))
        var receivers: [(fd: Int32, port: UInt16)] = []
        for _ in 0..<3 { receivers.append(try live.boundSocket(Int32(SOCK_DGRAM.rawValue))) }
        defer { for receiver in receivers { close(receiver.fd) } }
        let listener = try live.boundSocket(Int32(SOCK_STREAM.rawValue))
        defer { close(listener.fd) }
        let ports = Set(receivers.map(\.port) + [listener.port])

        let ring = Run(ringSource), libpcap = Run(libpcapSource)
        ring.start()
        libpcap.start()
        usleep(200_000)

        let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        try #require(sender >= 0)
        defer { close(sender) }
        let datagrams = Int.random(in: 200...900, using: &random)
        for i in 0..<datagrams {
            var address = live.loopback(receivers[Int.random(in: 0..<receivers.count, using: &random)].port)
            var payload = [UInt8](repeating: UInt8(truncatingIfNeeded: i), count: Int.random(in: 0...3000, using: &random))
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(sender, &payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if i % 97 == 0 { usleep(UInt32.random(in: 0...20_000, using: &random)) }
        }
        try live.tcpExchange(listener: listener.fd, port: listener.port)
        usleep(400_000)
        ringSource.breakLoop()
        libpcapSource.breakLoop()
        #expect(ring.finished.wait(timeout: .now() + 5) == .success, "the ring reader returned after breakLoop()")
        #expect(libpcap.finished.wait(timeout: .now() + 5) == .success, "libpcap's loop returned after breakLoop()")
        ring.capture.finish(into: &ring.sink)
        libpcap.capture.finish(into: &libpcap.sink)
        #expect(ring.error == nil)
        #expect(libpcap.error == nil)

        // Nothing but the test's traffic crosses the namespace's `lo`.
        for run in [ring, libpcap] {
            let strangers = run.sink.flows.filter { !ports.contains($0.sourcePort) && !ports.contains($0.destinationPort) }
            #expect(strangers.isEmpty, "flows not sent by the test: \(strangers.prefix(3))")
        }
        let fromRing = ring.sink.flows.map(Untimed.init).sorted(), fromLibpcap = libpcap.sink.flows.map(Untimed.init).sorted()
        #expect(fromRing.count >= receivers.count + 1)
        #expect(fromRing == fromLibpcap)
        let udpPackets = ring.sink.flows.filter { $0.ipProtocol == .udp && ports.contains($0.destinationPort) }.reduce(0) { $0 + $1.packets }
        #expect(udpPackets == UInt64(datagrams))
        let kernel = try #require(ring.capture.statistics.kernel)
        #expect(kernel.received >= ring.capture.statistics.packets)
        #expect(kernel.dropped == 0)
        #expect(!ring.progress.isEmpty)
    }

    /// An interface taken down under a running capture does not end it (the kernel resumes
    /// delivery when it comes back up), through the ring as through libpcap, and neither spins
    /// on the error the socket reports meanwhile; `breakLoop()` still ends it. The interface is
    /// the loopback of a network namespace the test makes (`PrivateNetwork`), which the capture
    /// thread starts in. Needs root; without it the test says so and stops (CI requires it).
    @Test(arguments: [true, false])
    func anInterfaceGoingDownIsWaitedOut(directRing: Bool) throws {
        guard let network = try PrivateNetwork.forTest("the interface-down check") else { return }

        final class Outcome: @unchecked Sendable {
            // Written by the capture thread before `started`/`finished` are signalled, read after.
            var source: PacketSource?
            var error: String?
            var threadCPU: () -> Double = { 0 }
            let started = DispatchSemaphore(value: 0)
            let finished = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        // Made while this thread is in the namespace, the capture thread starts there too.
        try network.whileJoined {
            Thread {
                outcome.source = try? PacketSource(liveInterface: "lo", configuration: LiveCaptureConfiguration(
                    bufferSize: 4 << 20, readTimeoutMilliseconds: 50, directRing: directRing))
                var clock = clockid_t()
                pthread_getcpuclockid(pthread_self(), &clock)
                outcome.threadCPU = {
                    var spent = timespec()
                    clock_gettime(clock, &spent)
                    return Double(spent.tv_sec) + Double(spent.tv_nsec) / 1e9
                }
                outcome.started.signal()
                if let source = outcome.source {
                    var capture = FlowCapture()
                    var sink = CollectingFlowSink()
                    do { try capture.run(source, into: &sink) } catch { outcome.error = "\(error)" }
                }
                outcome.finished.signal()
            }.start()
        }
        outcome.started.wait()
        let source = try #require(outcome.source, "capture on the namespace's lo")
        #expect(source.readsRingDirectly == directRing)
        usleep(300_000)
        try #require(network.setLoopback(up: false) == nil)
        usleep(200_000)
        let before = outcome.threadCPU()
        #expect(outcome.finished.wait(timeout: .now() + 1) == .timedOut, "\(outcome.error ?? "")")
        let spent = outcome.threadCPU() - before
        #expect(spent < 0.2, "the capture thread spent \(spent) s of CPU in a second with its interface down")
        try #require(network.setLoopback(up: true) == nil)
        usleep(200_000)
        source.breakLoop()
        #expect(outcome.finished.wait(timeout: .now() + 5) == .success)
        #expect(outcome.error == nil)
    }

    /// A filter, immediate mode or `directRing: false` leave the reading to libpcap.
    @Test func libpcapReadsWhereTheRingWouldDiffer() throws {
        for configuration in [LiveCaptureConfiguration(filter: "udp"), LiveCaptureConfiguration(immediate: true),
                              LiveCaptureConfiguration(directRing: false)] {
            let source: PacketSource
            do {
                source = try PacketSource(liveInterface: "lo", configuration: configuration)
            } catch let error as FlowlogError where error.code == .permissionDenied {
                return
            }
            #expect(!source.readsRingDirectly)
        }
    }
}
