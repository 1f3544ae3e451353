import FlowCore
import Testing
@testable import SegmentStore

@Suite struct CRC32CTests {
    /// Bit-at-a-time reference, independent of the tables.
    func reference(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }

    @Test func standardCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720 B.4: 32 bytes of zeros and of 0xFF.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func slicingMatchesBitwiseAtEveryLengthAndAlignment() {
        var rng = SplitMix64(seed: 42)
        let data = (0..<300).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for start in 0..<9 {
            for length in [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200] where start + length <= data.count {
                let slice = Array(data[start..<(start + length)])
                #expect(CRC32C.checksum(data[start..<(start + length)]) == reference(slice))
            }
        }
    }

    /// The processor's instruction (when there is one) and the tables agree at every length,
    /// alignment and starting value.
    @Test func instructionMatchesTables() {
        var rng = SplitMix64(seed: 7)
        let data = (0..<70_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        for start in 0..<9 {
            // From 3072 bytes on the instruction runs three chains and joins them: lengths
            // around that, and ones whose thirds leave a tail of every size.
            for length in [0, 1, 3, 7, 8, 9, 16, 31, 64, 100, 1000, 3071, 3072, 3073, 3079, 3095, 3096, 10_007, 65_536, 69_990]
            where start + length <= data.count {
                let crc = UInt32(truncatingIfNeeded: rng.next())
                data[start..<(start + length)].withUnsafeBytes { bytes in
                    #expect(CRC32C.update(crc, bytes) == CRC32C.tableUpdate(crc, bytes))
                }
            }
        }
    }

    @Test func updateContinuesAcrossPieces() {
        let data = Array("The quick brown fox jumps over the lazy dog".utf8)
        let whole = CRC32C.checksum(data)
        let first = data[0..<13].withUnsafeBytes { CRC32C.update(0, $0) }
        let both = data[13...].withUnsafeBytes { CRC32C.update(first, $0) }
        #expect(both == whole)
        #expect(whole == reference(data))
    }
}
