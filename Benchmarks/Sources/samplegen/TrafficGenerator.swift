import FlowCore

/// Streams the capture: connections arrive as a Poisson process, each runs its packet script,
/// and packets from all open connections are interleaved in time order through a min-heap.
/// Memory grows with the number of connections open at once, never with the capture's size.
struct TrafficGenerator {
    struct Summary {
        var packets: UInt64 = 0
        var wireBytes: UInt64 = 0
        var fileBytes: UInt64 = 0
        var flows = 0
        var deniedFlows = 0
        var ipv6Packets: UInt64 = 0
        var peakOpenFlows = 0
        var lastPacketSeconds = 0.0
    }

    let cluster: ClusterPlan
    let options: GeneratorOptions
    var random: SeededRandom
    let encoder: FrameEncoder
    let dnsNames: DNSNames
    private let allowedPaths: [TrafficPath]
    private let deniedPaths: [TrafficPath]
    private let allowedWeights: [Double]
    private let deniedWeights: [Double]
    /// Mean data-phase packets of a TCP session, solved so flows average `--packets-per-flow`.
    private let sessionDataMean: Double

    private var flows: [ActiveFlow] = []
    private var freeSlots: [Int32] = []
    private var heap: [Int32] = []
    private var ephemeralCounter: UInt64 = 0

    /// Calico's host-side veth MAC: every pod's next hop on a Calico node.
    static let calicoMAC: UInt64 = 0xEEEE_EEEE_EEEE

    init(cluster: ClusterPlan, policy: PolicyCatalog, options: GeneratorOptions, random: SeededRandom) {
        self.cluster = cluster
        self.options = options
        self.random = random
        encoder = FrameEncoder(seed: options.seed)
        dnsNames = DNSNames(cluster: cluster)
        allowedPaths = policy.allowedPaths
        var pathRandom = random
        deniedPaths = policy.deniedPaths(cluster, random: &pathRandom)
        self.random = pathRandom
        var sum = 0.0
        allowedWeights = allowedPaths.map { sum += $0.weight; return sum }
        sum = 0
        deniedWeights = deniedPaths.map { sum += $0.weight; return sum }
        sessionDataMean = Self.solveSessionDataMean(allowed: allowedPaths, denied: deniedPaths,
                                                    deniedShare: deniedPaths.isEmpty ? 0 : options.deniedPercent / 100,
                                                    target: options.packetsPerFlow)
    }

    /// The mean number of data packets per TCP session that makes the whole mix average
    /// `target` packets per flow (sessions add 6 handshake and teardown packets; the other
    /// shapes have fixed expected sizes).
    private static func solveSessionDataMean(allowed: [TrafficPath], denied: [TrafficPath], deniedShare: Double, target: Double) -> Double {
        var sessionShare = 0.0, fixedPackets = 0.0
        for (paths, share) in [(allowed, 1 - deniedShare), (denied, deniedShare)] {
            let total = paths.reduce(0) { $0 + $1.weight }
            guard total > 0 else { continue }
            for path in paths {
                let p = share * path.weight / total
                switch path.shape {
                case .tcpSession: sessionShare += p
                case .dnsExchange: fixedPackets += p * 2
                case .tcpUnanswered, .icmpUnanswered: fixedPackets += p * 2.5
                case .udpUnanswered: fixedPackets += p * 1.5
                case .icmpEcho: fixedPackets += p * 5
                }
            }
        }
        guard sessionShare > 0 else { return 2 }
        return max(2, (target - fixedPackets) / sessionShare - 6)
    }

    // MARK: Run

    mutating func run(to path: String) throws -> Summary {
        var out = try PcapStream(path: path)
        var summary = Summary()
        let rate = Double(options.flows) / options.effectiveDuration
        var nextArrival = 0.0
        var started = 0
        var last = 0.0
        let startNanoseconds = options.start.nanoseconds
        while started < options.flows || !heap.isEmpty {
            if started < options.flows && (heap.isEmpty || nextArrival <= flows[Int(heap[0])].due) {
                let denied = startFlow(at: nextArrival)
                if denied { summary.deniedFlows += 1 }
                started += 1
                summary.peakOpenFlows = max(summary.peakOpenFlows, heap.count)
                nextArrival += random.exponential(mean: 1 / rate)
                continue
            }
            let slot = Int(heap[0])
            var flow = flows[slot]
            let time = max(last, flow.due)
            flow.due = time
            last = time
            let length = step(&flow)
            flows[slot] = flow
            try out.append(encoder.frame, length: length, nanoseconds: startNanoseconds + UInt64(time * 1e9))
            if flow.isIPv6 { summary.ipv6Packets += 1 }
            if flow.phase == .done {
                removeTop()
                freeSlots.append(Int32(slot))
            } else {
                siftDown(0)
            }
        }
        summary.packets = out.packets
        summary.wireBytes = out.wireBytes
        summary.fileBytes = out.fileBytes
        summary.flows = started
        summary.lastPacketSeconds = last
        try out.close()
        return summary
    }

    @inline(__always)
    private mutating func step(_ f: inout ActiveFlow) -> Int {
        switch f.shape {
        case .tcpSession: return stepSession(&f)
        case .tcpUnanswered: return stepUnansweredSYN(&f)
        case .dnsExchange: return stepDNS(&f)
        case .udpUnanswered: return stepUnansweredUDP(&f)
        case .icmpEcho, .icmpUnanswered: return stepEcho(&f)
        }
    }

    /// The Ethernet and IP fields of a packet of `f` in one direction, as the local pod's
    /// interface sees it; bumps the sender's IPv4 identification.
    mutating func hop(_ f: inout ActiveFlow, fromClient: Bool) -> FrameEncoder.Hop {
        let senderIsLocal = fromClient == f.clientIsLocal
        let identification: UInt16
        if fromClient {
            identification = f.clientIdentification
            f.clientIdentification &+= 1
        } else {
            identification = f.serverIdentification
            f.serverIdentification &+= 1
        }
        return FrameEncoder.Hop(sourceMAC: senderIsLocal ? f.localMAC : Self.calicoMAC,
                                destinationMAC: senderIsLocal ? Self.calicoMAC : f.localMAC,
                                source: fromClient ? f.client : f.server,
                                destination: fromClient ? f.server : f.client,
                                ttl: senderIsLocal ? 64 : f.remoteTTL,
                                identification: identification)
    }

    // MARK: Arrivals

    /// Opens a connection at `time` on a path drawn by weight; returns whether it is denied.
    private mutating func startFlow(at time: Double) -> Bool {
        let denied = !deniedPaths.isEmpty && random.chance(options.deniedPercent / 100)
        let path = denied ? deniedPaths[random.pick(cumulative: deniedWeights)]
                          : allowedPaths[random.pick(cumulative: allowedWeights)]
        var f = ActiveFlow()
        f.shape = path.shape
        f.application = path.application
        f.due = time
        let v6 = random.chance(options.ipv6Percent / 100)
        let (clientAddress, clientMAC) = endpoint(path.client, ipv6: v6)
        let (serverAddress, serverMAC) = endpoint(path.server, ipv6: v6)
        f.client = clientAddress
        f.server = serverAddress
        f.clientIsLocal = clientMAC != nil
        f.localMAC = clientMAC ?? serverMAC ?? Self.calicoMAC
        let bothInCluster = clientMAC != nil && serverMAC != nil
        f.remoteTTL = bothInCluster ? 63 : UInt8(random.int(44...58))
        f.roundTrip = bothInCluster ? 0.00005 + random.exponential(mean: 0.0002) : 0.004 + random.exponential(mean: 0.03)
        if case .external(.webClients) = path.client {
            f.clientPort = UInt16(random.int(32768...65535))  // Linux, Windows and macOS ephemeral ranges
        } else {
            f.clientPort = nextEphemeralPort()
        }
        f.serverPort = path.port
        f.clientSequence = UInt32(truncatingIfNeeded: random.next())
        f.serverSequence = UInt32(truncatingIfNeeded: random.next())
        f.clientIdentification = UInt16(truncatingIfNeeded: random.next())
        f.serverIdentification = UInt16(truncatingIfNeeded: random.next())
        f.identifier = UInt16(truncatingIfNeeded: random.next())
        switch path.shape {
        case .tcpSession:
            f.phase = .syn
            f.dataLeft = Int32(min(20_000, max(2, random.pareto(mean: sessionDataMean))))
            f.closeWithReset = random.chance(0.05)
            f.bulk = random.chance(0.05)
        case .tcpUnanswered:
            f.packetsLeft = random.chance(0.5) ? 3 : 2
        case .dnsExchange:
            f.packetsLeft = 2
            f.dnsName = Int32(random.int(0...(dnsNames.count - 1)))
        case .udpUnanswered:
            // An NTP client on an ephemeral source port, as chrony uses by default.
            f.packetsLeft = random.chance(0.5) ? 2 : 1
        case .icmpEcho:
            f.clientPort = 0
            f.serverPort = 0
            f.packetsLeft = Int32(2 * random.int(1...4))
        case .icmpUnanswered:
            f.clientPort = 0
            f.serverPort = 0
            f.packetsLeft = Int32(random.int(2...3))
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = Int(free)
            flows[slot] = f
        } else {
            slot = flows.count
            flows.append(f)
        }
        heap.append(Int32(slot))
        siftUp(heap.count - 1)
        return denied
    }

    /// Linux's default ephemeral range (32768–60999), walked with a stride so that no two
    /// connections open at the same time share a source port: like the kernel, which never
    /// hands out a port in use, and unlike random picks, which would merge a few flows.
    private mutating func nextEphemeralPort() -> UInt16 {
        ephemeralCounter &+= 1
        return UInt16(32768 + Int((ephemeralCounter &* 7919) % 28232))
    }

    /// A pod of the workload (address, its MAC) or an external host (address, no MAC).
    private mutating func endpoint(_ peer: TrafficPath.Peer, ipv6: Bool) -> (IPAddress, UInt64?) {
        switch peer {
        case .workload(let w):
            let pods = cluster.workloads[w].pods
            let pod = cluster.pods[random.int(pods.lowerBound...(pods.upperBound - 1))]
            return (ipv6 ? pod.ipv6 : pod.ipv4, pod.mac)
        case .external(let group):
            let index = random.int(0...(cluster.external.count(group) - 1))
            return (cluster.external.address(group, index, ipv6: ipv6), nil)
        }
    }

    // MARK: Heap of open connections, ordered by next packet time (then slot, for determinism)

    @inline(__always)
    private func earlier(_ a: Int32, _ b: Int32) -> Bool {
        let ta = flows[Int(a)].due, tb = flows[Int(b)].due
        return ta != tb ? ta < tb : a < b
    }

    private mutating func siftUp(_ start: Int) {
        var i = start
        while i > 0 {
            let parent = (i - 1) / 2
            guard earlier(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1, right = left + 1
            var best = i
            if left < heap.count && earlier(heap[left], heap[best]) { best = left }
            if right < heap.count && earlier(heap[right], heap[best]) { best = right }
            if best == i { return }
            heap.swapAt(i, best)
            i = best
        }
    }

    private mutating func removeTop() {
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            siftDown(0)
        }
    }
}
