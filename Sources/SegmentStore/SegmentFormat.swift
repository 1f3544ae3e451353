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
/// | version 3 on: dictionary record, copy 1 (before the first block   |
/// |   that uses its entries; absent when it uses no new entry)       |
/// |   dictionary record header (56 bytes)                            |
/// |     0 magic "FLDC"  4 format version u16  6 codec u8 (1 = LZ4)   |
/// |     7 flags u8 (0)  8 raw payload size u32  12 stored size u32   |
/// |    16 first string u32     20 strings u32                        |
/// |    24 first label set u32  28 label sets u32                     |
/// |    32 first identity u32   36 identities u32                     |
/// |    40 first trace u32      44 traces u32                         |
/// |    48 CRC-32C of the stored payload                              |
/// |    52 CRC-32C of header bytes 0..<52                             |
/// |   stored payload: the dictionary payload below as one LZ4 block  |
/// | version 3 on: the same record again, byte for byte (copy 2; not  |
/// |   before the block a writer closes the segment with)             |
/// +------------------------------------------------------------------+
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
/// dictionary payload (version 3): the segment's strings, label sets, identities and traces
///   numbered from the header's "first" numbers on, each table as in a version 1–2 block's
///   dictionaries below but without its count (the header gives it); [strings] and
///   [label set] references are segment numbers of this or an earlier record.
///
/// raw payload (a block's)
///   u8 time unit exponent e (times are stored in units of 10^e ns: 0, 3, 6 or 9)
///   varint record count, varint base end (the first record's end, in units)
///   versions 1–2, then:
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
///   version 3, instead of those first seven tables (strings, label sets, identities and traces
///   [segment numbers] are the segment's dictionary records'; `BlockEncoder+Folded` explains):
///   outcomes       varint m; then field by field, each a packed column of m values: service
///                  [string], verdict, trace + 1 (0 = none) for egress, ingress, pending
///                  egress, pending ingress
///   services       varint p; packed column of the block's distinct (protocol, destination
///                  port) pairs as protocol << 16 | port, ascending, as deltas from the
///                  previous one (the first from 0)
///   addresses      as in versions 1–2
///   address identities  packed column of one value per address: identity + 1 (0 = none)
///   conversations  as in versions 1–2 except: destination port and protocol as one number
///                  in the services table (one column), and instead of annotation + 1 a
///                  code: 0 = no annotation, 1 = the
///                  next annotation (numbered in the order conversations first use them),
///                  k ≥ 2 = the annotation numbered k − 1 before the next one
///   annotations    field by field, each a packed column of one value per annotation (as many
///                  as codes 1): outcome, source identity + 1 and destination identity + 1
///                  where it differs from its first conversation's address's (0 = the same)
///   version 4, as version 3 except:
///     outcomes     sorted by egress, ingress, pending egress, pending ingress trace, service,
///                  verdict; the egress column as deltas from the one before (the first from 0)
///     addresses    IPv6 addresses (still ascending) each as u8 k, the count of leading bytes
///                  it shares with the address before (the first: with ::), k ≤ 15, then its
///                  16 − k other bytes
///     conversations  instead of the destination column two packed columns: the destinations
///                  of the conversations that start a source (the first, and each whose source
///                  differs from the one before's), then for the others the destination less
///                  the one before's; instead of the services column a packed column of
///                  one bit per conversation (1 = the services number of the conversation
///                  before it to the same destination address), then a packed column of
///                  the numbers of the conversations whose bit is 0
///     annotations  instead of the outcome column: a packed column of one bit per annotation
///                  (1 = the outcome of the last earlier annotation whose first conversation
///                  has the same destination address), then a packed column of the outcomes
///                  of the annotations whose bit is 0; the identity columns as in version 3
///     columns      each a based column (varint base, then the packed column of value − base
///                  mod 2^64), and duration is end − start as it is (units), not zigzag
///   version 5, as version 4 except:
///     conversations  instead of the annotation code column, each conversation's outcome + 1
///                  (0 = no annotation) as a predicted column keyed by destination: a packed
///                  column of one bit per conversation (1 = the outcome + 1 of the conversation
///                  before it to the same destination address), then a packed column of the
///                  outcomes + 1 of the conversations whose bit is 0. Each conversation with an
///                  outcome is an annotation of its own, numbered in conversation order
///     annotations  no outcome column (the conversations carry it); the identity columns as in
///                  version 3, one value per annotated conversation
///     columns      bytes out, packets in and bytes in each a conditioned column, predicted
///                  from packets out, packets out and packets in (the key column, same rows):
///                  varint L ≤ 1024; L = 0: a based column of the values; else a packed column
///                  of L values zigzag(T[k] − T[k − 1]) (T[−1] = 0), then a based column of
///                  zigzag(value − prediction) mod 2^64, prediction = T[key] if key < L else 0
///   then, all versions:
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
/// explains the choices. Annotations, addresses, conversations, domain sets and shapes are
/// numbered per block. Up to version 2 so are strings, label maps, identities and traces, and
/// every block decodes on its own. From version 3 those four are numbered per segment and kept
/// in dictionary records between the blocks (a large cluster's blocks met the same thousands of
/// endpoints and traces, and each block repeated them): a block decodes with the records before
/// it. Each record is checksummed and written twice, so one damaged copy costs nothing; when
/// both are lost, the blocks that use one of its entries are reported damaged and the others
/// still read. The record before the block a writer seals the segment after (on close) is
/// written once: only that block uses it, so losing it costs that block, as damage to the block
/// itself would (and a one-block store does not pay for a second copy of all it defines).
/// Readers take any number of copies. The index lists blocks only: records are what lies
/// between them.
///
/// An open segment is the same file without index and footer. Every record and block carries
/// its own checksums and is compressed on its own, so recovery keeps every block whose header
/// and payload check out and cuts the file after the last one (records after it define entries
/// no kept block uses).
enum SegmentFormat {
    /// Bumped on any incompatible change; readers reject files with a larger version and read
    /// every smaller one. 2: blocks carry the destination's domain names per conversation.
    /// 3: strings, label sets, identities and traces in segment dictionary records.
    /// 4: record columns with a base, IPv6 addresses prefix-coded, outcomes predicted.
    /// 5: an outcome per conversation instead of a code naming a shared annotation; bytes and
    /// packets in predicted from the packets.
    static let version: UInt16 = 5
    /// The first version whose blocks hold the domain sets.
    static let domainsVersion: UInt16 = 2
    /// The first version with segment dictionary records.
    static let segmentDictionaryVersion: UInt16 = 3
    /// The first version whose record columns carry a base, whose IPv6 addresses share their
    /// prefix with the one before and whose annotations may repeat an earlier outcome.
    static let basedColumnsVersion: UInt16 = 4
    /// The first version whose conversations carry their outcome (each annotated conversation
    /// is an annotation of its own).
    static let conversationOutcomesVersion: UInt16 = 5
    /// The first version whose bytes and packets-in columns are stored as differences from a
    /// value predicted by the packets (`ConditionedColumn`).
    static let conditionedColumnsVersion: UInt16 = 5

    static let segmentMagic: UInt32 = 0x4753_4C46      // "FLSG" as bytes
    static let blockMagic: UInt32 = 0x4B42_4C46        // "FLBK"
    static let footerMagic: UInt32 = 0x5849_4C46       // "FLIX"
    static let dictionaryMagic: UInt32 = 0x4344_4C46   // "FLDC"

    static let segmentHeaderSize = 32
    static let blockHeaderSize = 80
    static let footerSize = 56
    static let dictionaryHeaderSize = 56
    /// Copies of each dictionary record (but the one before a segment's closing block).
    static let dictionaryCopies = 2
    /// Bytes of all dictionary payloads of one segment, raw: positions into them are 32-bit.
    static let maximumSegmentDictionarySize = 1 << 30

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
