import CPcap

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A live interface's packets through the kernel's memory-mapped TPACKET_V3 receive ring, read
/// by the capture loop itself (`PacketRingBlock`) instead of through libpcap's per-packet
/// callback.
///
/// The ring is set up as libpcap sets up its own on Linux: a raw packet socket bound to the
/// interface, 256 KiB blocks adding up to the configured buffer (libpcap's 2 MiB default when it
/// is 0), a block retired to the reader when it is full or after the read timeout, the interface
/// in promiscuous mode when asked. So the kernel fills and drops exactly as it would for libpcap,
/// and the drop counters are the same socket statistics `pcap_stats` reads.
///
/// Only where nothing else differs: Linux, an Ethernet or loopback interface (libpcap's
/// DLT_EN10MB), no filter (libpcap compiles a live handle's filter with kernel-specific VLAN
/// handling that a filter compiled here would not have), and not immediate mode (libpcap uses
/// per-packet frames there). Anywhere else, or when any step fails, `open` returns nil and
/// libpcap reads as before.
final class PacketRing {
    /// libpcap's block size on Linux (one frame of its largest snapshot length).
    static let blockBytes = 256 << 10
    /// libpcap's kernel buffer when none is configured.
    static let defaultBufferBytes = 2 << 20
    /// Room the kernel leaves in front of each frame for a VLAN tag put back (libpcap asks the same).
    static let reservedBytes: UInt32 = UInt32(PacketRingBlock.vlanTagBytes)

    let descriptor: Int32
    /// The interface's index when the ring opened.
    let interfaceIndex: UInt32
    private let memory: UnsafeMutableRawPointer
    private let length: Int
    let blockCount: Int
    let snaplen: Int
    /// A loopback interface: what it sends it also receives, so sent frames are skipped.
    let isLoopback: Bool
    /// The block the reader looks at next.
    private(set) var nextBlock = 0
    /// Socket statistics so far (the kernel resets its counters whenever they are read).
    private var received: UInt64 = 0
    private var dropped: UInt64 = 0
    /// The interface's own drop counters when the ring opened (promiscuous mode only, as libpcap).
    private let interfaceName: String
    private let countsInterfaceDrops: Bool
    private var interfaceDropsAtOpen: UInt64 = 0

    /// The ring for `interface`, capturing once this returns; nil where libpcap must read.
    static func open(interface: String, configuration: LiveCaptureConfiguration) -> PacketRing? {
        #if os(Linux)
        guard configuration.directRing, !configuration.immediate, configuration.filter?.isEmpty ?? true,
              configuration.snaplen > 0 else { return nil }
        let index = if_nametoindex(interface)
        guard index > 0 else { return nil }
        let socketDescriptor = socket(AF_PACKET, Int32(SOCK_RAW.rawValue), 0)
        guard socketDescriptor >= 0 else { return nil }
        var keep = false
        defer { if !keep { close(socketDescriptor) } }
        // Bound with protocol 0 the socket receives nothing yet, but names the interface's type.
        guard bind(socketDescriptor, interface: Int32(index), protocol: 0),
              let hardwareType = boundHardwareType(socketDescriptor),
              hardwareType == UInt16(ARPHRD_ETHER) || hardwareType == UInt16(ARPHRD_LOOPBACK) else { return nil }
        var version = Int32(TPACKET_V3.rawValue)
        var reserve = reservedBytes
        guard setOption(socketDescriptor, PACKET_VERSION, &version),
              setOption(socketDescriptor, PACKET_RESERVE, &reserve) else { return nil }
        let buffer = configuration.bufferSize > 0 ? configuration.bufferSize : defaultBufferBytes
        let blocks = max(1, (buffer + blockBytes - 1) / blockBytes)
        var request = tpacket_req3(tp_block_size: UInt32(blockBytes), tp_block_nr: UInt32(blocks),
                                   tp_frame_size: UInt32(blockBytes), tp_frame_nr: UInt32(blocks),
                                   tp_retire_blk_tov: UInt32(clamping: max(0, configuration.readTimeoutMilliseconds)),
                                   tp_sizeof_priv: 0, tp_feature_req_word: 0)
        guard setOption(socketDescriptor, PACKET_RX_RING, &request) else { return nil }
        let length = blocks * blockBytes
        guard let memory = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, socketDescriptor, 0),
              memory != MAP_FAILED else { return nil }
        if configuration.promiscuous {
            var membership = packet_mreq(mr_ifindex: Int32(index), mr_type: UInt16(PACKET_MR_PROMISC), mr_alen: 0,
                                         mr_address: (0, 0, 0, 0, 0, 0, 0, 0))
            guard setOption(socketDescriptor, PACKET_ADD_MEMBERSHIP, &membership) else {
                munmap(memory, length)
                return nil
            }
        }
        // Every packet from here on lands in the ring.
        guard bind(socketDescriptor, interface: Int32(index), protocol: UInt16(ETH_P_ALL)) else {
            munmap(memory, length)
            return nil
        }
        keep = true
        return PacketRing(descriptor: socketDescriptor, interfaceIndex: index, memory: memory, length: length, blockCount: blocks,
                          snaplen: configuration.snaplen, isLoopback: hardwareType == UInt16(ARPHRD_LOOPBACK),
                          interfaceName: interface, countsInterfaceDrops: configuration.promiscuous)
        #else
        return nil
        #endif
    }

    private init(descriptor: Int32, interfaceIndex: UInt32, memory: UnsafeMutableRawPointer, length: Int, blockCount: Int, snaplen: Int,
                 isLoopback: Bool, interfaceName: String, countsInterfaceDrops: Bool) {
        self.descriptor = descriptor
        self.interfaceIndex = interfaceIndex
        self.memory = memory
        self.length = length
        self.blockCount = blockCount
        self.snaplen = snaplen
        self.isLoopback = isLoopback
        self.interfaceName = interfaceName
        self.countsInterfaceDrops = countsInterfaceDrops
        if countsInterfaceDrops { interfaceDropsAtOpen = Self.interfaceDrops(interfaceName) }
    }

    deinit {
        munmap(memory, length)
        close(descriptor)
    }

    /// The next block, when the kernel has handed it over; nil while it is still the kernel's.
    @inline(__always)
    func readyBlock() -> PacketRingBlock? {
        #if os(Linux)
        let block = memory + nextBlock &* Self.blockBytes
        guard flowlog_ring_block_status(block) & UInt32(TP_STATUS_USER) != 0 else { return nil }
        return PacketRingBlock(base: block, size: Self.blockBytes, snaplen: snaplen, skipsOutgoing: isLoopback)
        #else
        return nil
        #endif
    }

    /// Hands the block `readyBlock()` gave back to the kernel and moves on to the next.
    @inline(__always)
    func releaseBlock() {
        #if os(Linux)
        flowlog_ring_block_release(memory + nextBlock &* Self.blockBytes)
        nextBlock &+= 1
        if nextBlock == blockCount { nextBlock = 0 }
        #endif
    }

    /// `pcap_stats`'s figures for this socket: packets the kernel handled (dropped ones included,
    /// as the kernel counts them) and those it dropped for want of room in the ring, then what
    /// the interface dropped since the ring opened (promiscuous mode only, as libpcap reads it).
    func statistics() -> KernelStatistics {
        #if os(Linux)
        var counters = tpacket_stats_v3()
        var size = socklen_t(MemoryLayout<tpacket_stats_v3>.size)
        if getsockopt(descriptor, SOL_PACKET, PACKET_STATISTICS, &counters, &size) == 0 {
            received &+= UInt64(counters.tp_packets)
            dropped &+= UInt64(counters.tp_drops)
        }
        #endif
        let interfaceDropped = countsInterfaceDrops ? Self.interfaceDrops(interfaceName) &- interfaceDropsAtOpen : 0
        return KernelStatistics(received: received, dropped: dropped, interfaceDropped: interfaceDropped)
    }

    /// The interface's missed and FIFO receive errors, from sysfs (libpcap's `ps_ifdrop` sources).
    private static func interfaceDrops(_ name: String) -> UInt64 {
        var total: UInt64 = 0
        for counter in ["rx_missed_errors", "rx_fifo_errors"] {
            guard let file = fopen("/sys/class/net/\(name)/statistics/\(counter)", "r") else { continue }
            var value: UInt64 = 0
            withUnsafeMutablePointer(to: &value) { pointer in
                _ = withVaList([pointer]) { vfscanf(file, "%llu", $0) }
            }
            fclose(file)
            total &+= value
        }
        return total
    }

    #if os(Linux)
    private static func bind(_ descriptor: Int32, interface: Int32, protocol value: UInt16) -> Bool {
        var address = sockaddr_ll()
        address.sll_family = UInt16(AF_PACKET)
        address.sll_protocol = value.bigEndian
        address.sll_ifindex = interface
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_ll>.size)) == 0
            }
        }
    }

    private static func boundHardwareType(_ descriptor: Int32) -> UInt16? {
        var address = sockaddr_ll()
        var size = socklen_t(MemoryLayout<sockaddr_ll>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &size) }
        }
        return named == 0 ? address.sll_hatype : nil
    }

    private static func setOption<T>(_ descriptor: Int32, _ name: Int32, _ value: inout T) -> Bool {
        setsockopt(descriptor, SOL_PACKET, name, &value, socklen_t(MemoryLayout<T>.size)) == 0
    }

    #endif
}
