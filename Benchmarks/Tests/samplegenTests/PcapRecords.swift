import Foundation
import FlowCore

/// A minimal reader of the classic pcap files samplegen writes, for checking them
/// independently of the generator's own code.
struct PcapRecords {
    struct Record {
        var seconds: UInt32
        var microseconds: UInt32
        var frame: ArraySlice<UInt8>
        var originalLength: Int
    }

    let magic: UInt32
    let linkType: UInt32
    var records: [Record] = []

    init(_ data: Data) throws {
        let bytes = [UInt8](data)
        func le32(_ i: Int) -> UInt32 {
            UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        }
        guard bytes.count >= 24 else { throw FlowlogError(.truncated, "no global header") }
        magic = le32(0)
        linkType = le32(20)
        var offset = 24
        while offset < bytes.count {
            guard offset + 16 <= bytes.count else { throw FlowlogError(.truncated, "record header", location: .init(offset: UInt64(offset))) }
            let caplen = Int(le32(offset + 8))
            guard offset + 16 + caplen <= bytes.count else { throw FlowlogError(.truncated, "record body", location: .init(offset: UInt64(offset))) }
            records.append(Record(seconds: le32(offset), microseconds: le32(offset + 4),
                                  frame: bytes[(offset + 16)..<(offset + 16 + caplen)], originalLength: Int(le32(offset + 12))))
            offset += 16 + caplen
        }
    }
}

/// The fields of an Ethernet/IP/TCP-UDP-ICMP frame the tests look at.
struct DecodedPacket {
    var source: IPAddress
    var destination: IPAddress
    var proto: UInt8
    var sourcePort: UInt16 = 0
    var destinationPort: UInt16 = 0
    var tcpFlags: UInt8 = 0
    var ipv4HeaderChecksumValid = true
    var transportChecksumValid = true

    init?(_ frame: ArraySlice<UInt8>) {
        let f = Array(frame)
        func be16(_ i: Int) -> UInt16 { UInt16(f[i]) << 8 | UInt16(f[i + 1]) }
        func be64(_ i: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(f[i + $1]) } }
        func sum(_ range: Range<Int>) -> UInt32 {
            var total: UInt32 = 0
            var i = range.lowerBound
            while i + 1 < range.upperBound { total += UInt32(be16(i)); i += 2 }
            if i < range.upperBound { total += UInt32(f[i]) << 8 }
            return total
        }
        func folds(_ value: UInt32) -> Bool {
            var v = value
            while v >> 16 != 0 { v = (v & 0xFFFF) + (v >> 16) }
            return v == 0xFFFF
        }
        guard f.count >= 14 else { return nil }
        let l4: Int, l4End: Int
        var pseudo: UInt32 = 0
        switch be16(12) {
        case 0x0800:
            let total = Int(be16(16))
            source = IPAddress(ipv4: UInt32(be16(26)) << 16 | UInt32(be16(28)))
            destination = IPAddress(ipv4: UInt32(be16(30)) << 16 | UInt32(be16(32)))
            proto = f[23]
            ipv4HeaderChecksumValid = folds(sum(14..<34))
            l4 = 34
            l4End = 14 + total
            pseudo = sum(26..<34) + UInt32(proto) + UInt32(l4End - l4)
        case 0x86DD:
            source = IPAddress(ipv6High: be64(22), low: be64(30))
            destination = IPAddress(ipv6High: be64(38), low: be64(46))
            proto = f[20]
            l4 = 54
            l4End = 54 + Int(be16(18))
            pseudo = sum(22..<54) + UInt32(proto) + UInt32(l4End - l4)
        default:
            return nil
        }
        guard l4End <= f.count else { return nil }
        if proto == 6 || proto == 17 {
            sourcePort = be16(l4)
            destinationPort = be16(l4 + 2)
        }
        if proto == 6 { tcpFlags = f[l4 + 13] }
        transportChecksumValid = folds((proto == 1 ? 0 : pseudo) + sum(l4..<l4End))
    }
}
