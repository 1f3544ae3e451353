/// How a `SegmentWriter` cuts blocks and segments, when it syncs, and what it keeps.
public struct StoreConfiguration: Sendable, Equatable {
    /// When written data is forced to stable storage with fsync(2).
    ///
    /// A killed process never loses what `write(2)` accepted (the page cache survives it), so the
    /// policy only matters for power loss or a kernel crash.
    public enum FsyncPolicy: Sendable, Equatable {
        /// After every block written: `flush`/`close` return only when every accepted flow is on
        /// disk; `append` only when its filled blocks are, but for one still being encoded in
        /// the background (`encodesInBackground`), which the next call writes.
        case everyBlock
        /// At most once per interval (checked when a block is written), and at seal.
        case interval(seconds: Double)
        /// Only when a segment is sealed; blocks of the open segment may be lost on power loss.
        case onSeal
    }

    /// Records per block (a block is written when it fills, or at `flush()`). Default 32768:
    /// bigger blocks share dictionaries over more flows (fewer bytes per flow), smaller ones
    /// let a query skip more precisely. At most `maximumBlockRecords` (readers reject more).
    public var blockRecords: Int
    /// The most records a block may hold (1,048,576).
    public static let maximumBlockRecords = Int(SegmentFormat.maximumBlockRecords)
    /// A segment is sealed once its file reaches this size. Default 64 MiB.
    public var segmentMaxBytes: Int
    /// …or once it has been open this long (wall clock). Default 1 hour.
    public var segmentMaxAge: Double
    /// Oldest sealed segments are deleted while the sealed total exceeds this. Default 10 GiB.
    public var retentionMaxBytes: Int?
    /// Sealed segments are deleted this long after they were sealed (wall clock; replays of old
    /// captures are kept as long as fresh data). Default 7 days.
    public var retentionMaxAge: Double?
    /// Default `.everyBlock`.
    public var fsync: FsyncPolicy
    /// 0 for LZ4's fast mode, 3…12 for LZ4-HC at that level: smaller blocks, slower writes,
    /// the same decoding speed. Default 6: on the large cluster's replay LZ4-HC 9 spent 554 M
    /// instructions for 15.91 bytes per flow, 6 spends 426 M for 15.93 (a block's columns are
    /// packed to the bit already, so the deeper match search finds little); 4 and 3 cost
    /// 15.96 and 16.00, too close to the 16 bytes per flow the store is held to.
    public var compressionLevel: Int
    /// Encode and compress filled blocks on a background thread (default), overlapping with
    /// the caller; `append` then returns before its last filled block is written, and
    /// `flush`/`close` wait for it. false does that work inside `append`.
    public var encodesInBackground: Bool
    /// Under `encodesInBackground`, how many filled blocks `append` may leave with the encoder
    /// when it returns (the next calls write them; `flush` and `close` wait for all). 1: what a
    /// crash of the process may take beyond the open block is one filled block. Not public:
    /// more lets the caller run further ahead of the encoder, which on two cores took CPU from
    /// the encoder when its chain of blocks was the longest (`flowlog replay` measured 0.04 s
    /// slower with 2–8); tests use it to check that segments do not depend on it.
    var blocksBehind: Int = 1 {
        didSet { blocksBehind = max(1, blocksBehind) }
    }
    /// The segment format version written (2 or 3). Not public: only tests write the older
    /// version, to check that stores of older flowlogs still read.
    var formatVersion: UInt16 = SegmentFormat.version
    /// `EncoderCatalog`'s bound; tests make it small so the catalog starts afresh often.
    var catalogEntryLimit = EncoderCatalog.defaultEntryLimit

    public init(blockRecords: Int = 32_768, segmentMaxBytes: Int = 64 << 20, segmentMaxAge: Double = 3600,
                retentionMaxBytes: Int? = 10 << 30, retentionMaxAge: Double? = 7 * 86_400,
                fsync: FsyncPolicy = .everyBlock, compressionLevel: Int = 6, encodesInBackground: Bool = true) {
        self.blockRecords = min(max(1, blockRecords), Self.maximumBlockRecords)
        self.segmentMaxBytes = max(4096, segmentMaxBytes)
        self.segmentMaxAge = segmentMaxAge
        self.retentionMaxBytes = retentionMaxBytes
        self.retentionMaxAge = retentionMaxAge
        self.fsync = fsync
        self.compressionLevel = compressionLevel <= 0 ? 0 : min(12, max(3, compressionLevel))
        self.encodesInBackground = encodesInBackground
    }
}
