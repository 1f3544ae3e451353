import FlowCore

/// Where a block sits in a store: its segment's sequence number and its position among that
/// segment's blocks. Stable for the block's life: sealing a segment renames the file and
/// appends an index, it never moves or renumbers blocks.
public struct BlockPosition: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var segment: UInt64
    public var block: UInt32

    public init(segment: UInt64, block: UInt32) {
        self.segment = segment
        self.block = block
    }

    public static func < (l: BlockPosition, r: BlockPosition) -> Bool {
        l.segment != r.segment ? l.segment < r.segment : l.block < r.block
    }

    public var description: String { "\(segment):\(block)" }
}

/// One complete block as a block-by-block reader (an exporter) sees it.
public struct StoredBlock: Sendable, Equatable {
    public var position: BlockPosition
    public var flowCount: UInt32
    public var minStart: Timestamp
    public var maxEnd: Timestamp
    /// Whether its segment is sealed (immutable); blocks of the open segment are complete too,
    /// but the segment may still grow.
    public var sealed: Bool
}

/// Why a block could not be read now.
public enum BlockReadOutcome: Sendable {
    case read([AnnotatedFlow])
    /// Retention deleted the segment since it was listed.
    case deleted
    /// The block fails its checks. In the open segment's last block this may be a write in
    /// progress (retry later); elsewhere it is damage.
    case damaged(FlowlogError)
}

extension StoreReader {
    /// Every complete block after `position` (all blocks when nil), oldest first, at most
    /// `limit`. Reads segment indexes and block headers, no payloads. Damaged segments are
    /// returned in `problems` and skipped.
    public func blocks(after position: BlockPosition?, limit: Int = .max) throws -> (blocks: [StoredBlock], problems: [FlowlogError]) {
        var result: [StoredBlock] = []
        var problems: [FlowlogError] = []
        for segment in try listSegments() {
            if let position, segment.sequence < position.segment { continue }
            guard result.count < limit else { break }
            guard let (file, ref) = try openSegment(segment) else { continue }
            defer { file.close() }
            let layout: SegmentLayout
            do {
                layout = try SegmentLayout.read(file, dictionaries: false)
            } catch let error as FlowlogError where error.code != .newerFormat && error.code != .io {
                problems.append(error)
                continue
            }
            problems += layout.problems
            for (i, block) in layout.blocks.enumerated() {
                let here = BlockPosition(segment: ref.sequence, block: UInt32(i))
                if let position, here <= position { continue }
                guard result.count < limit else { break }
                result.append(StoredBlock(position: here, flowCount: block.digest.count, minStart: block.digest.minStart,
                                          maxEnd: block.digest.maxEnd, sealed: !ref.open && layout.footer != nil))
            }
        }
        return (result, problems)
    }
}

/// Reads chosen blocks whole, keeping one segment file open between consecutive blocks of the
/// same segment and reusing its decode buffers. One per thread.
public final class StoreBlockReader {
    private let reader: StoreReader
    private var file: PosixFile?
    private var fileSequence: UInt64?
    private var layout: SegmentLayout?
    private var blockReader = BlockReader()
    private var decoded = BlockRows()

    public init(reader: StoreReader) {
        self.reader = reader
    }

    deinit { file?.close() }

    /// The flows of the block at `position`, in write order.
    public func read(_ position: BlockPosition) throws -> BlockReadOutcome {
        if fileSequence != position.segment || layout.map({ Int(position.block) >= $0.blocks.count }) ?? true {
            file?.close()
            file = nil
            layout = nil
            fileSequence = nil
            let segments = try reader.listSegments()
            guard let ref = segments.first(where: { $0.sequence == position.segment }),
                  let (opened, _) = try reader.openSegment(ref) else { return .deleted }
            do {
                layout = try SegmentLayout.read(opened)
            } catch let error as FlowlogError where error.code != .newerFormat && error.code != .io {
                opened.close()
                return .damaged(error)
            }
            file = opened
            fileSequence = position.segment
        }
        guard let file, let layout, Int(position.block) < layout.blocks.count else {
            return .damaged(FlowlogError(.corrupt, "block \(position) is not in its segment",
                                         location: .init(file: reader.directory)))
        }
        do {
            _ = try blockReader.read(file, block: layout.blocks[Int(position.block)], since: nil, until: nil, into: &decoded)
        } catch let error as FlowlogError where error.code == .corrupt || error.code == .truncated {
            // A sealed-and-renamed segment keeps its blocks, but drop the cached layout so the
            // next attempt looks at the file afresh.
            self.file?.close()
            self.file = nil
            self.layout = nil
            self.fileSequence = nil
            return .damaged(error)
        }
        var flows: [AnnotatedFlow] = []
        flows.reserveCapacity(decoded.count)
        for i in 0..<decoded.count { flows.append(decoded.flow(i)) }
        return .read(flows)
    }
}
