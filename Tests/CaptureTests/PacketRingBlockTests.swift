@testable import Capture
import FlowCore
import Foundation
import Testing

/// The ring reader's block walk (`PacketRingBlock`) over synthetic TPACKET_V3 blocks laid out as
/// the kernel lays them out: random frames, lengths, time stamps, VLAN tags taken out of the
/// frame (with and without their TPID), frames the host sent, odd snapshot lengths. Every packet
/// must come out as libpcap hands it to its callback (the tag put back, sent loopback frames
/// skipped, the frame cut to the snapshot length), and damaged blocks must end the walk without
/// a read outside the block (the block sits between inaccessible pages).
struct PacketRingBlockTests {
    /// One packet as the test lays it into a block, and as libpcap would hand it over.
    struct Laid {
        var seconds: UInt32
        var nanoseconds: UInt32
        var frame: [UInt8]
        var wire: UInt32
        var status: UInt32
        var vlanTCI: UInt32
        var vlanTPID: UInt16
        var packetType: UInt8
        var macOffset: Int
    }

    struct Expected: Equatable {
        var seconds: Int
        var nanoseconds: Int
        var caplen: Int
        var wire: UInt32
        var bytes: [UInt8]
    }

    /// A block between two inaccessible pages, so any read outside it faults.
    final class GuardedBlock {
        let page = Int(getpagesize())
        let size: Int
        let mapping: UnsafeMutableRawPointer
        var base: UnsafeMutableRawPointer { mapping + page }

        init(size: Int) {
            self.size = size
            let total = size + 2 * page
            mapping = mmap(nil, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
            mprotect(mapping, page, PROT_NONE)
            mprotect(mapping + page + size, page, PROT_NONE)
        }

        deinit { munmap(mapping, size + 2 * page) }

        func store<T>(_ value: T, at offset: Int) { base.storeBytes(of: value, toByteOffset: offset, as: T.self) }
    }

    static func align16(_ value: Int) -> Int { (value + 15) & ~15 }

    /// Lays `packets` into `block` as the kernel does; the offset after the last one.
    @discardableResult
    static func lay(_ packets: [Laid], into block: GuardedBlock) -> Int {
        memset(block.base, 0, block.size)
        block.store(UInt32(3), at: 0)  // version
        block.store(PacketRingBlock.statusUser, at: 8)
        block.store(UInt32(packets.count), at: 12)
        block.store(UInt32(PacketRingBlock.descriptorBytes), at: 16)
        var offset = PacketRingBlock.descriptorBytes
        for (i, packet) in packets.enumerated() {
            let end = align16(offset + packet.macOffset + packet.frame.count)
            block.store(UInt32(i == packets.count - 1 ? 0 : end - offset), at: offset)
            block.store(packet.seconds, at: offset + 4)
            block.store(packet.nanoseconds, at: offset + 8)
            block.store(UInt32(packet.frame.count), at: offset + 12)
            block.store(packet.wire, at: offset + 16)
            block.store(packet.status, at: offset + 20)
            block.store(UInt16(packet.macOffset), at: offset + 24)
            block.store(UInt16(packet.macOffset + 14), at: offset + 26)
            block.store(packet.vlanTCI, at: offset + 32)
            block.store(packet.vlanTPID, at: offset + 36)
            block.store(UInt16(17), at: offset + 48)  // AF_PACKET
            block.store(packet.packetType, at: offset + 58)
            packet.frame.withUnsafeBytes { (block.base + offset + packet.macOffset).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            offset = end
        }
        block.store(UInt32(offset), at: 20)  // blk_len
        return offset
    }

    /// What libpcap's callback gets for `packet`, or nil when it skips it.
    static func expected(_ packet: Laid, snaplen: Int, skipsOutgoing: Bool) -> Expected? {
        if skipsOutgoing && packet.packetType == PacketRingBlock.packetOutgoing { return nil }
        var bytes = packet.frame
        var wire = packet.wire
        if (packet.vlanTCI != 0 || packet.status & PacketRingBlock.statusVLANValid != 0) && bytes.count >= 12 {
            let tpid = packet.vlanTPID != 0 || packet.status & PacketRingBlock.statusVLANTPIDValid != 0 ? packet.vlanTPID : 0x8100
            let tci = UInt16(truncatingIfNeeded: packet.vlanTCI)
            bytes.insert(contentsOf: [UInt8(tpid >> 8), UInt8(tpid & 0xFF), UInt8(tci >> 8), UInt8(tci & 0xFF)], at: 12)
            wire &+= 4
        }
        let caplen = min(bytes.count, snaplen)
        return Expected(seconds: Int(packet.seconds), nanoseconds: Int(packet.nanoseconds), caplen: caplen, wire: wire,
                        bytes: Array(bytes.prefix(caplen)))
    }

    static func walk(_ block: GuardedBlock, snaplen: Int, skipsOutgoing: Bool) -> (records: [Expected], damage: String?) {
        var walker = PacketRingBlock(base: block.base, size: block.size, snaplen: snaplen, skipsOutgoing: skipsOutgoing)
        var records: [Expected] = []
        while let record = walker.next() {
            let start = record.data - UnsafeRawPointer(block.base)
            #expect(start >= 0 && start + record.caplen <= block.size, "record inside the block")
            records.append(Expected(seconds: record.seconds, nanoseconds: record.nanoseconds, caplen: record.caplen,
                                    wire: record.wire, bytes: Array(UnsafeRawBufferPointer(start: record.data, count: record.caplen))))
        }
        return (records, walker.damage)
    }

    static func randomPacket(_ rng: inout SeededRandom) -> Laid {
        let length = Int.random(in: 0...1600, using: &rng)
        let frame = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let statusBits: [UInt32] = [0, PacketRingBlock.statusVLANValid, PacketRingBlock.statusVLANTPIDValid,
                                    PacketRingBlock.statusVLANValid | PacketRingBlock.statusVLANTPIDValid, 1 << 2, 1 << 3]
        let tagged = Bool.random(using: &rng)
        return Laid(seconds: UInt32.random(in: 0...UInt32.max, using: &rng),
                    nanoseconds: UInt32.random(in: 0..<1_000_000_000, using: &rng),
                    frame: frame, wire: UInt32(length) &+ UInt32.random(in: 0...3000, using: &rng),
                    status: PacketRingBlock.statusUser | statusBits.randomElement(using: &rng)!,
                    vlanTCI: tagged ? UInt32.random(in: 0...0xFFFF, using: &rng) : 0,
                    vlanTPID: tagged && Bool.random(using: &rng) ? [0x8100, 0x88A8, 0x9100].randomElement(using: &rng)! : 0,
                    packetType: UInt8.random(in: 0...4, using: &rng),
                    macOffset: [72, 82, 86, 98, 114].randomElement(using: &rng)!)
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
    func randomBlocksComeOutAsLibpcapHandsThemOver(seed: UInt64) {
        var rng = SeededRandom(base: SplitMix64(seed: seed))
        for _ in 0..<40 {
            let block = GuardedBlock(size: [64 << 10, 256 << 10].randomElement(using: &rng)!)
            var packets: [Laid] = []
            var used = PacketRingBlock.descriptorBytes
            let wanted = Int.random(in: 0...120, using: &rng)
            while packets.count < wanted {
                let packet = Self.randomPacket(&rng)
                let end = Self.align16(used + packet.macOffset + packet.frame.count)
                if end > block.size { break }
                packets.append(packet)
                used = end
            }
            Self.lay(packets, into: block)
            let snaplen = [262_144, 1600, 128, 64, 14, 0].randomElement(using: &rng)!
            let skipsOutgoing = Bool.random(using: &rng)
            let (records, damage) = Self.walk(block, snaplen: snaplen, skipsOutgoing: skipsOutgoing)
            #expect(damage == nil)
            let expected = packets.compactMap { Self.expected($0, snaplen: snaplen, skipsOutgoing: skipsOutgoing) }
            #expect(records == expected, "seed \(seed): \(packets.count) packets, snaplen \(snaplen)")
        }
    }

    /// Random fields of valid blocks overwritten with random values: the walk may stop early
    /// with `damage`, but every packet it hands over lies inside the block, it never hands over
    /// more than the descriptor counts, and nothing outside the block is read.
    @Test(arguments: [11, 12, 13, 14])
    func damagedBlocksStopInsideTheBlock(seed: UInt64) {
        var rng = SeededRandom(base: SplitMix64(seed: seed))
        for _ in 0..<200 {
            let block = GuardedBlock(size: 16 << 10)
            var packets: [Laid] = []
            var used = PacketRingBlock.descriptorBytes
            while packets.count < 12 {
                var packet = Self.randomPacket(&rng)
                packet.frame = Array(packet.frame.prefix(700))
                let end = Self.align16(used + packet.macOffset + packet.frame.count)
                if end > block.size { break }
                packets.append(packet)
                used = end
            }
            let end = Self.lay(packets, into: block)
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let at = Int.random(in: 0..<max(1, min(end, block.size - 4)) / 4, using: &rng) * 4
                block.store(UInt32.random(in: 0...UInt32.max, using: &rng) >> UInt32.random(in: 0...31, using: &rng), at: at)
            }
            var walker = PacketRingBlock(base: block.base, size: block.size, snaplen: 262_144, skipsOutgoing: false)
            let count = walker.packetCount
            var handed = 0
            while let record = walker.next() {
                handed += 1
                let start = record.data - UnsafeRawPointer(block.base)
                #expect(start >= 0 && start + record.caplen <= block.size)
                _ = UnsafeRawBufferPointer(start: record.data, count: record.caplen).reduce(0, &+)
            }
            #expect(handed <= count)
        }
    }

    @Test func aBlockShorterThanItsDescriptorIsDamage() {
        let block = GuardedBlock(size: 32)
        var walker = PacketRingBlock(base: block.base, size: 32, snaplen: 100, skipsOutgoing: false)
        #expect(walker.next().map { _ in true } == nil)
        #expect(walker.damage != nil)
    }

    @Test func aFrameRunningPastTheBlockIsDamage() {
        let block = GuardedBlock(size: 4096)
        let frame = [UInt8](repeating: 7, count: 200)
        Self.lay([Laid(seconds: 1, nanoseconds: 2, frame: frame, wire: 200, status: 1, vlanTCI: 0, vlanTPID: 0,
                       packetType: 0, macOffset: 86)], into: block)
        block.store(UInt32(5000), at: PacketRingBlock.descriptorBytes + 12)  // tp_snaplen past the end
        let (records, damage) = Self.walk(block, snaplen: 262_144, skipsOutgoing: false)
        #expect(records.isEmpty)
        #expect(damage?.contains("outside") == true)
    }
}

/// The tests' generator: a seed gives the same blocks on every run.
struct SeededRandom: RandomNumberGenerator {
    var base: SplitMix64
    mutating func next() -> UInt64 { base.next() }
}
