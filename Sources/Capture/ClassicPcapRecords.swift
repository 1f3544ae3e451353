/// Classic pcap records read where they lie: in a capture file mapped into memory, or in an
/// in-memory capture's bytes. No copy, no allocation, every length checked against the end.
///
/// libpcap reads a file one record at a time through stdio: the kernel copies the file into
/// stdio's buffer, and libpcap copies each record again into its own. On the large cluster's
/// capture that was a fifth of a whole replay's CPU. Here the decoder reads each record in the
/// page cache itself.
///
/// The format (every field an unsigned 32-bit integer in the byte order of the machine that
/// wrote the file, which the magic number's byte order gives, unless marked otherwise):
///
///     file header, 24 bytes
///     +-------+-------+-------+----------+---------+---------+----------+
///     | magic | major | minor | thiszone | sigfigs | snaplen | linktype |
///     |   4   | 2 u16 | 2 u16 |    4     |    4    |    4    |    4     |
///     +-------+-------+-------+----------+---------+---------+----------+
///       magic A1B2C3D4: fractions are microseconds; A1B23C4D: nanoseconds
///
///     record header, 16 bytes, then caplen bytes of the frame, then the next record
///     +---------+----------+--------+-----+------------------+
///     | seconds | fraction | caplen | len | frame (caplen)   |
///     |  4 i32  |  4 i32   |   4    |  4  |                  |
///     +---------+----------+--------+-----+------------------+
///       len is the frame's length on the wire; caplen is what was kept of it
///
/// Only what libpcap reads without a special case is read here: version 2.4 (older versions may
/// have caplen and len in either order), a record wholly inside the file, and a caplen within
/// both the snapshot length and libpcap's largest (which libpcap cuts or rejects). `next()`
/// stops at the first record that is anything else, and the caller hands the rest of the file,
/// from that record's offset on, to libpcap, so a cut or damaged file ends with libpcap's own
/// error and statistics. The file header itself is libpcap's: it opens every file first.
struct ClassicPcapRecords {
    /// A record where it lies; `data` points at `caplen` bytes inside the mapped file.
    struct Record {
        /// libpcap's time stamp fields as it fills them for a nanosecond handle: both 32-bit
        /// values widened (signed, or unsigned in a file it byte-swaps: see `unsignedTimes`), a
        /// microsecond fraction multiplied by 1000.
        var seconds: Int
        var fraction: Int
        var caplen: Int
        var wire: UInt32
        var data: UnsafeRawPointer
    }

    static let fileHeaderBytes = 24
    static let recordHeaderBytes = 16
    /// libpcap's `MAXIMUM_SNAPLEN`: the largest caplen it reads for the link types the decoder
    /// supports (larger ones fail, or are cut to the snapshot length when that is larger).
    static let largestCaplen: UInt32 = 262_144

    let base: UnsafeRawPointer
    /// Bytes of the file in memory; records are read up to here.
    let end: Int
    /// Where the next record header starts.
    private(set) var offset: Int
    let isBigEndian: Bool
    /// 1000 for a microsecond file, 1 for a nanosecond file.
    let fractionMultiplier: Int
    /// libpcap (1.10) widens the time stamp fields of a file in this machine's byte order as
    /// signed values, and those it byte-swaps as unsigned ones: seconds 0x80000000 are 1901 in
    /// one order and 2038 in the other. Both are kept exactly, since they decide which packets
    /// the time-ordered flow cache expires.
    let unsignedTimes: Bool
    /// The largest caplen read here: the snapshot length libpcap uses, at most `largestCaplen`.
    let caplenLimit: UInt32

    /// The records of the classic pcap file in `bytes` that libpcap opened as `handle`; nil
    /// when libpcap would treat the file's records in a way this reader does not (pcapng, an
    /// older version, the modified pcap formats with longer record headers), so libpcap reads it.
    init?(bytes: UnsafeRawBufferPointer, majorVersion: Int32, minorVersion: Int32, snapshot: Int32,
          libpcapSwaps: Bool) {
        guard let base = bytes.baseAddress, bytes.count >= Self.fileHeaderBytes,
              majorVersion == 2, minorVersion == 4, snapshot > 0 else { return nil }
        let magic = (bytes[0], bytes[1], bytes[2], bytes[3])
        switch magic {
        case (0xD4, 0xC3, 0xB2, 0xA1): isBigEndian = false; fractionMultiplier = 1000
        case (0x4D, 0x3C, 0xB2, 0xA1): isBigEndian = false; fractionMultiplier = 1
        case (0xA1, 0xB2, 0xC3, 0xD4): isBigEndian = true; fractionMultiplier = 1000
        case (0xA1, 0xB2, 0x3C, 0x4D): isBigEndian = true; fractionMultiplier = 1
        default: return nil
        }
        // libpcap swaps exactly when the file's order is not this machine's; anything else
        // means the bytes are not the file libpcap opened.
        guard libpcapSwaps == (isBigEndian != (1.bigEndian == 1)) else { return nil }
        unsignedTimes = libpcapSwaps
        self.base = base
        end = bytes.count
        offset = Self.fileHeaderBytes
        caplenLimit = min(UInt32(snapshot), Self.largestCaplen)
    }

    @inline(__always)
    private func field(_ header: UnsafeRawPointer, _ index: Int) -> UInt32 {
        let raw = header.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)
        return isBigEndian ? UInt32(bigEndian: raw) : UInt32(littleEndian: raw)
    }

    /// The next record, or nil at the end of the bytes or at a record libpcap must read (its
    /// header or frame runs past the end, or its caplen is over the limit); `offset` stays at
    /// that record's start.
    @inline(__always)
    mutating func next() -> Record? {
        let remaining = end &- offset
        guard remaining >= Self.recordHeaderBytes else { return nil }
        let header = base + offset
        let caplen = field(header, 2)
        guard caplen <= caplenLimit else { return nil }
        let length = Int(caplen)
        guard length <= remaining &- Self.recordHeaderBytes else { return nil }
        let rawSeconds = field(header, 0), rawFraction = field(header, 1)
        let seconds = unsignedTimes ? Int(rawSeconds) : Int(Int32(bitPattern: rawSeconds))
        let fraction = (unsignedTimes ? Int(rawFraction) : Int(Int32(bitPattern: rawFraction))) &* fractionMultiplier
        offset &+= Self.recordHeaderBytes &+ length
        return Record(seconds: seconds, fraction: fraction, caplen: length, wire: field(header, 3),
                      data: header + Self.recordHeaderBytes)
    }
}
