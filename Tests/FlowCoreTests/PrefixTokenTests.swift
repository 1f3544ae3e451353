import Testing
@testable import FlowCore

/// Prefix tokens hash zero words and zero bytes by powers of the FNV prime
/// (`FNV1a.mix(_:bigEndian:)`); they must equal the byte-by-byte hash they replaced.
@Suite struct PrefixTokenTests {
    static func byteByByte(_ field: BlockDigest.Field, prefix address: IPAddress, length: Int) -> UInt64 {
        let masked = address.masked(to: length)
        var h = FNV1a.start
        h = FNV1a.mix(h, field.rawValue)
        h = FNV1a.mix(h, masked.version.rawValue)
        h = FNV1a.mix(h, UInt8(length))
        for shift in stride(from: 56, through: 0, by: -8) { h = FNV1a.mix(h, UInt8(truncatingIfNeeded: masked.high >> UInt64(shift))) }
        for shift in stride(from: 56, through: 0, by: -8) { h = FNV1a.mix(h, UInt8(truncatingIfNeeded: masked.low >> UInt64(shift))) }
        return FNV1a.finish(h)
    }

    @Test func powersArePowers() {
        var p4: UInt64 = 1
        for _ in 0..<4 { p4 &*= 0x0000_0100_0000_01B3 }
        #expect(FNV1a.primeTo4 == p4 && FNV1a.primeTo8 == p4 &* p4)
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func prefixTokensEqualTheByteByByteHash(seed: UInt64) {
        var random = SplitMix64(seed: seed)
        var addresses: [IPAddress] = [IPAddress(ipv4: 0), IPAddress(ipv4: .max), IPAddress(ipv6High: 0, low: 0),
                                      IPAddress(ipv6High: .max, low: .max), IPAddress(ipv6High: 0, low: 1 << 40)]
        for _ in 0..<300 {
            addresses.append(IPAddress(ipv4: UInt32(truncatingIfNeeded: random.next())))
            addresses.append(IPAddress(ipv4: UInt32(truncatingIfNeeded: random.below(1 << 12))))
            addresses.append(IPAddress(ipv6High: random.next(), low: random.next()))
            addresses.append(IPAddress(ipv6High: random.below(1 << 20) << 44, low: random.below(1 << 30)))
        }
        for address in addresses {
            for length in [0, 1, 8, 16, 24, 31, 32, 48, 64, 65, 96, 127, 128] {
                for field in [BlockDigest.Field.sourcePrefix, .destinationPrefix] {
                    #expect(BlockDigest.token(field, prefix: address, length: length)
                                == Self.byteByByte(field, prefix: address, length: length), "\(address) /\(length)")
                }
            }
        }
    }
}
