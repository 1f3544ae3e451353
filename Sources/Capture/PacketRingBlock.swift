import CPrefetch

/// The packets of one block of the kernel's TPACKET_V3 receive ring, read where they lie.
///
/// Linux hands a packet socket's ring to the reader a block at a time: the kernel fills a block
/// with packets, marks it the reader's, and wakes it; the reader walks the block and hands it
/// back. libpcap does the same walk and then calls a function per packet; reading the block here
/// lets the capture loop fold each packet straight into the flow cache.
///
/// The layout (every field in this machine's byte order; offsets from the block's start, or from
/// a packet header's start):
///
///     block descriptor (struct tpacket_block_desc), 48 bytes at the block's start
///     +---------+----------+--------------+----------+----------------+---------+---------+----------+---------+
///     | version | priv off | block_status | num_pkts | first_pkt off  | blk_len | seq_num | ts first | ts last |
///     |  0: 4   |  4: 4    |    8: 4      |  12: 4   |     16: 4      | 20: 4   |  24: 8  |  32: 8   | 40: 8   |
///     +---------+----------+--------------+----------+----------------+---------+---------+----------+---------+
///       block_status: TP_STATUS_USER (1) while the block is the reader's, TP_STATUS_KERNEL (0) after
///
///     packet header (struct tpacket3_hdr), 48 bytes, at first_pkt off, then each next off further
///     +----------+-------+--------+------------+--------+-----------+--------+--------+--------+----------+-----------+---------+
///     | next off | sec   | nsec   | tp_snaplen | tp_len | tp_status | tp_mac | tp_net | rxhash | vlan_tci | vlan_tpid | padding |
///     |  0: 4    | 4: 4  | 8: 4   |   12: 4    | 16: 4  |  20: 4    | 24: 2  | 26: 2  | 28: 4  |  32: 4   |   36: 2   | 38: 10  |
///     +----------+-------+--------+------------+--------+-----------+--------+--------+--------+----------+-----------+---------+
///       next off: from this header to the next one (0 after the last); tp_snaplen bytes of the
///       frame (tp_len on the wire) start tp_mac bytes after this header
///
///     link-layer address (struct sockaddr_ll), 20 bytes, 48 bytes after the packet header
///     +--------+----------+---------+--------+---------+-------+------+
///     | family | protocol | ifindex | hatype | pkttype | halen | addr |
///     | 48: 2  |  50: 2   |  52: 4  | 56: 2  |  58: 1  | 59: 1 | 60: 8|
///     +--------+----------+---------+--------+---------+-------+------+
///       pkttype 4 (PACKET_OUTGOING): a frame this host sent
///
/// The kernel takes an 802.1Q tag out of the frame (it is in vlan_tci, with TP_STATUS_VLAN_VALID
/// in tp_status); as libpcap does, the tag is put back in front of the frame's EtherType, in the
/// room the ring keeps in front of each frame (`PacketRing.reservedBytes`), so the decoder sees
/// the frame as it was on the wire. Also as libpcap does, a frame the loopback interface sent is
/// skipped (the loopback delivers it again as received), and what is kept of a frame is cut to
/// the snapshot length.
///
/// Every offset is checked against the block's size: a header or frame that does not lie wholly
/// inside the block ends the walk with `damage` set, and nothing is read outside the block.
struct PacketRingBlock {
    /// A packet where it lies in the block; `data` points at `caplen` bytes of its frame.
    struct Record {
        var seconds: Int
        var nanoseconds: Int
        var caplen: Int
        var wire: UInt32
        var data: UnsafeRawPointer
    }

    static let descriptorBytes = 48
    static let packetHeaderBytes = 48
    static let addressBytes = 20
    static let vlanTagBytes = 4
    /// Ethernet's two MAC addresses: the tag goes after them.
    static let vlanOffset = 12
    static let statusUser: UInt32 = 1
    static let statusVLANValid: UInt32 = 1 << 4
    static let statusVLANTPIDValid: UInt32 = 1 << 6
    static let packetOutgoing: UInt8 = 4
    static let tpid8021Q: UInt16 = 0x8100

    let base: UnsafeMutableRawPointer
    let size: Int
    /// Bytes kept of a frame at most (`LiveCaptureConfiguration.snaplen`).
    let snaplen: Int
    /// Skip frames this host sent (the loopback interface: they come back as received).
    let skipsOutgoing: Bool
    /// Packets the block still holds, by its descriptor.
    private(set) var remaining: Int
    /// Where the next packet header starts.
    private var offset: Int
    /// Why the walk stopped before the descriptor's count, if it did.
    private(set) var damage: String?

    /// The block of `size` bytes at `base`, which the kernel has handed over (its status has
    /// `statusUser`). A descriptor that does not fit is damage, with no packets.
    init(base: UnsafeMutableRawPointer, size: Int, snaplen: Int, skipsOutgoing: Bool) {
        self.base = base
        self.size = size
        self.snaplen = max(0, snaplen)
        self.skipsOutgoing = skipsOutgoing
        guard size >= Self.descriptorBytes else {
            remaining = 0
            offset = 0
            damage = "ring block of \(size) bytes is shorter than its descriptor"
            return
        }
        let raw = UnsafeRawPointer(base)
        remaining = Int(raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        offset = Int(raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        damage = nil
    }

    /// The descriptor's packet count, for tests.
    var packetCount: Int { Int(UnsafeRawPointer(base).loadUnaligned(fromByteOffset: 12, as: UInt32.self)) }

    /// The next packet, nil after the last one (or at damage: see `damage`). May move the frame
    /// back by a tag's length inside the block to put its VLAN tag back.
    @inline(__always)
    mutating func next() -> Record? {
        while remaining > 0 {
            let header = offset
            let fixed = Self.packetHeaderBytes + Self.addressBytes
            guard header >= Self.descriptorBytes, header <= size &- fixed else {
                return stop("packet header at \(header) is outside the \(size)-byte block")
            }
            let raw = UnsafeRawPointer(base) + header
            let nextOffset = Int(raw.loadUnaligned(fromByteOffset: 0, as: UInt32.self))
            let seconds = Int(raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
            let nanoseconds = Int(raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            let captured = Int(raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            var wire = raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
            let status = raw.loadUnaligned(fromByteOffset: 20, as: UInt32.self)
            let mac = Int(raw.loadUnaligned(fromByteOffset: 24, as: UInt16.self))
            let vlanTCI = raw.loadUnaligned(fromByteOffset: 32, as: UInt32.self)
            let vlanTPID = raw.loadUnaligned(fromByteOffset: 36, as: UInt16.self)
            let packetType = raw.load(fromByteOffset: Self.packetHeaderBytes + 10, as: UInt8.self)
            remaining &-= 1
            if remaining > 0 {
                // The last packet's next offset is 0; any other must move forward.
                guard nextOffset > 0 else { return stop("packet header at \(header) points to no next packet") }
                offset = header &+ nextOffset
                // The kernel wrote the next packet from another core: start bringing its header
                // and the frame's first bytes in (a hint, never a fault) while this one is folded.
                let ahead = raw + nextOffset
                flowlog_prefetch_read(ahead)
                flowlog_prefetch_read(ahead + 64)
                flowlog_prefetch_read(ahead + 128)
            }
            var frame = header &+ mac
            guard mac >= fixed, frame <= size, captured <= size &- frame else {
                return stop("frame of \(captured) bytes at \(frame) is outside the \(size)-byte block")
            }
            if skipsOutgoing && packetType == Self.packetOutgoing { continue }
            var caplen = captured
            if (vlanTCI != 0 || status & Self.statusVLANValid != 0) && captured >= Self.vlanOffset {
                guard mac - fixed >= Self.vlanTagBytes else {
                    return stop("no room to put back the VLAN tag of the frame at \(frame)")
                }
                let tpid = vlanTPID != 0 || status & Self.statusVLANTPIDValid != 0 ? vlanTPID : Self.tpid8021Q
                frame &-= Self.vlanTagBytes
                let moved = base + frame
                moved.copyMemory(from: moved + Self.vlanTagBytes, byteCount: Self.vlanOffset)
                moved.storeBytes(of: tpid.bigEndian, toByteOffset: Self.vlanOffset, as: UInt16.self)
                moved.storeBytes(of: UInt16(truncatingIfNeeded: vlanTCI).bigEndian, toByteOffset: Self.vlanOffset + 2, as: UInt16.self)
                caplen &+= Self.vlanTagBytes
                wire &+= UInt32(Self.vlanTagBytes)
            }
            if caplen > snaplen { caplen = snaplen }
            return Record(seconds: seconds, nanoseconds: nanoseconds, caplen: caplen, wire: wire,
                          data: UnsafeRawPointer(base + frame))
        }
        return nil
    }

    private mutating func stop(_ reason: String) -> Record? {
        remaining = 0
        damage = reason
        return nil
    }
}
