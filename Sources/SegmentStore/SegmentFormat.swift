import FlowCore

/// The on-disk format of a store directory, in one place (mirrored in docs/segment-format.md).
///
/// All integers are little-endian; "varint" is unsigned LEB128, "zigzag" a signed varint.
///
/// ```text
/// DIR/
///   MANIFEST                  text index of sealed segments (name, time range, counts, CRC-32C)
///   000000000001.seg          sealed segments: immutable
///   000000000002.seg.open     the open segment (one per writer); renamed to .seg when sealed
///   LOCK                      flock(2)ed by the one writer
///
/// MANIFEST (text, replaced whole by write-temp-then-rename)
///   flowlog-manifest 1
///   <name> <sequence> <blocks> <flows> <bytes> <min start ns> <max end ns> <sealed at ns>   (per sealed segment)
///   crc32c <8 hex digits: CRC-32C of every preceding byte>
///
/// segment file
/// +------------------------------------------------------------------+ offset 0
/// | segment header (32 bytes)                                        |
/// |   0 magic "FLSG"   4 format version u16   6 flags u16 (0)        |
/// |   8 sequence u64   16 created (ns since epoch) u64               |
/// |  24 reserved u32   28 CRC-32C of bytes 0..<28                    |
/// +------------------------------------------------------------------+ 32
/// | block 0                                                          |
/// |   block header (80 bytes)                                        |
/// |     0 magic "FLBK"  4 format version u16  6 codec u8 (1 = LZ4)   |
/// |     7 flags u8 (0)  8 record count u32   12 raw payload size u32 |
/// |    16 stored payload size u32   20 verdict mask u8, 3 reserved   |
/// |    24 min start ns u64   32 max end ns u64                       |
/// |    40 protocol mask 4 × u64 (256-bit set of IP protocols)        |
/// |    72 CRC-32C of the stored payload                              |
/// |    76 CRC-32C of header bytes 0..<76                             |
/// |   stored payload: the raw payload below as one LZ4 block         |
/// +------------------------------------------------------------------+
/// | block 1 … block n-1                                              |
/// +------------------------------------------------------------------+ sealed segments only:
/// | block index: per block                                           |
/// |   offset u64, total length u32 (header + payload),               |
/// |   digest: count u32, min start u64, max end u64, verdict mask u8,|
/// |   protocol mask 4 × u64, bloom hash count u8, bloom words u32,   |
/// |   bloom words × u64                                              |
/// +------------------------------------------------------------------+
/// | footer (56 bytes, at end of file)                                |
/// |   0 magic "FLIX"  4 format version u16  6 reserved u16           |
/// |   8 index offset u64  16 index length u32  20 CRC-32C of index   |
/// |  24 block count u32  28 flow count u64  36 min start u64         |
/// |  44 max end u64  52 CRC-32C of footer bytes 0..<52               |
/// +------------------------------------------------------------------+
///
/// raw payload
///   u8 time unit exponent e (times are stored in units of 10^e ns: 0, 3, 6 or 9)
///   varint record count, varint base end (the first record's end, in units)
///   strings        varint n; n × (varint length, UTF-8 bytes)
///   label sets     varint n; n × (varint pairs; pairs × (varint key string, varint value string))
///   identities     varint n; n × (u8 kind, varint namespace, name, aggregated name [strings],
///                                 varint label set, varint service account [string])
///   traces         varint n; n × (u8 reporter, u8 action, varint hits; hits × (varint index,
///                                 varint tier [string], u8 kind, varint namespace, varint name
///                                 [strings], u8 action, zigzag rule index))
///   annotations    varint n; then field by field, each a packed column of n values: source
///                  identity, destination identity, service [string], verdict, and trace + 1
///                  (0 = none) for egress, ingress, pending egress, pending ingress
///   addresses      ascending (IPv4 before IPv6): varint n4, packed column of the n4 IPv4
///                  addresses as deltas from the previous one (the first from 0); varint n6,
///                  n6 × 16 bytes of IPv6 address in network order
///   conversations  sorted by source then destination address: varint n; then field by
///                  field, each a packed column of n values: source address as a delta from
///                  the previous conversation's, destination address, destination port,
///                  protocol, vlan + 1, inner vlan + 1 (mod 2^16: "none" is 0),
///                  annotation + 1 (0 = none), node [string]
///   domain sets    (version 2 on) varint n; n × (varint names; names × varint name [string]);
///                  then a packed column of one value per conversation: domain set + 1
///                  (0 = none), the destination's names (`dest_domains`)
///   shapes         varint n; n × u64: TCP flags out | in << 8 | status << 16 | ICMP type << 32
///                  | ICMP code << 40
///   columns        9 × varint byte length, then the columns, one value per record, each a
///                  packed column:
///     conversation · end, zigzag delta from the previous record's end (units) ·
///     duration, zigzag end − start (units) · source port · packets out · bytes out ·
///     packets in · bytes in · shape
///
///   packed column of n values (PackedColumn): u8 width b (0…64); ⌈n·b/8⌉ bytes holding each
///     value's low b bits, LSB first, value i at bit i·b; varint exception count; per
///     exception varint index delta (from the previous exception) and varint value >> b
/// ```
///
/// A record's "conversation" holds everything it shares with other flows of the same client and
/// service (addresses, destination port, protocol, VLANs, annotation, node); `BlockEncoder`
/// explains the choices. Strings, label maps, identities, traces and annotations are numbered
/// per block, so every block decodes on its own.
///
/// An open segment is the same file without index and footer. Each block is self-contained
/// (its own dictionaries, independently compressed, its own checksums), so recovery keeps every
/// block whose header and payload check out and cuts the file after the last one.
enum SegmentFormat {
    /// Bumped on any incompatible change; readers reject files with a larger version and read
    /// every smaller one. 2: blocks carry the destination's domain names per conversation.
    static let version: UInt16 = 2
    /// The first version whose blocks hold the domain sets.
    static let domainsVersion: UInt16 = 2

    static let segmentMagic: UInt32 = 0x4753_4C46      // "FLSG" as bytes
    static let blockMagic: UInt32 = 0x4B42_4C46        // "FLBK"
    static let footerMagic: UInt32 = 0x5849_4C46       // "FLIX"

    static let segmentHeaderSize = 32
    static let blockHeaderSize = 80
    static let footerSize = 56

    /// Codec ids (block header byte 6).
    static let codecLZ4: UInt8 = 1

    // Limits a reader enforces on block headers (a header that passes its checksum is still
    // input: a forged or buggy one must not make a reader allocate gigabytes).

    /// Records in one block; `StoreConfiguration.blockRecords` is capped to it.
    static let maximumBlockRecords: UInt32 = 1 << 20
    /// Raw (decompressed) payload bytes of one block: LZ4's own limit on one block.
    static let maximumRawBlockSize: UInt32 = 0x7E00_0000
    /// LZ4 turns one stored byte into at most 255 (a match length grows by 255 per byte).
    static let maximumCompressionRatio: UInt64 = 255

    static let sealedSuffix = ".seg"
    static let openSuffix = ".seg.open"
    static let manifestName = "MANIFEST"
    static let lockName = "LOCK"

    /// `000000000042.seg` for sequence 42.
    static func fileName(sequence: UInt64, open: Bool) -> String {
        let digits = String(sequence)
        let padded = String(repeating: "0", count: max(0, 12 - digits.count)) + digits
        return padded + (open ? openSuffix : sealedSuffix)
    }

    /// The sequence number and state a file name encodes, nil for other files.
    static func parseFileName(_ name: String) -> (sequence: UInt64, open: Bool)? {
        let open: Bool
        let stem: Substring
        if name.hasSuffix(openSuffix) {
            open = true
            stem = name.dropLast(openSuffix.count)
        } else if name.hasSuffix(sealedSuffix) {
            open = false
            stem = name.dropLast(sealedSuffix.count)
        } else {
            return nil
        }
        guard !stem.isEmpty, stem.allSatisfy({ $0.isASCII && $0.isNumber }), let sequence = UInt64(stem) else { return nil }
        return (sequence, open)
    }
}
