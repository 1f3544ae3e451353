import FlowCore

/// Reads a store directory, sealed and open segments alike, while a writer may be appending.
///
/// Each `scan` lists the directory afresh, so segments sealed, added or deleted by retention
/// since the reader was opened are seen (or skipped) correctly.
public final class StoreReader: Sendable {
    public let directory: String

    /// One segment file as a scan sees it.
    struct SegmentRef {
        var name: String
        var sequence: UInt64
        var open: Bool
        var path: String
    }

    /// Fails with a clear `FlowlogError` for a missing directory, a directory without segments,
    /// or a segment or manifest from a newer format version.
    public init(directory: String) throws {
        self.directory = directory
        let state = Directory.exists(directory)
        guard state.exists else {
            throw FlowlogError(.fileNotFound, "no such store directory", location: .init(file: directory))
        }
        guard state.isDirectory else {
            throw FlowlogError(.invalidArgument, "not a directory", location: .init(file: directory))
        }
        let segments = try listSegments()
        guard !segments.isEmpty else {
            throw FlowlogError(.fileNotFound, "store is empty: no segment files (*.seg, *.seg.open)", location: .init(file: directory))
        }
        _ = try loadManifest()
        var buffer: [UInt8] = []
        for segment in segments {
            guard let file = try? PosixFile.openForReading(segment.path) else { continue }
            defer { file.close() }
            let got = try file.read(into: &buffer, count: SegmentFormat.segmentHeaderSize, at: 0)
            do {
                _ = try buffer.withUnsafeBytes { try SegmentHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<got]), file: segment.path) }
            } catch let error as FlowlogError where error.code == .newerFormat {
                throw error
            } catch {
                continue  // damage is reported per scan, where the rest stays readable
            }
        }
    }

    /// Hands every stored flow overlapping `[since, until)` (start < until and end ≥ since;
    /// nil = unbounded) to `visitor`, oldest segment first, in write order within a segment.
    /// Segments and blocks outside the range, and blocks the visitor declines, are not read.
    /// Damaged blocks are listed in the result's `problems` and skipped.
    ///
    /// Inlinable so the record loop is specialised for the caller's visitor: the visitor then
    /// borrows each record in place instead of receiving a copy through a witness table.
    @inlinable
    public func scan<V: StoreVisitor>(since: Timestamp?, until: Timestamp?, visitor: inout V) throws -> ScanStatistics {
        let cursor = try _ScanCursor(reader: self, since: since, until: until)
        var block = BlockRows()
        block.numbersPreparedOnDemand = visitor.screensWithoutPreparedRecords
        while let digest = try cursor.nextBlock() {
            guard visitor.shouldRead(block: digest) else {
                cursor.skipBlock()
                continue
            }
            guard try cursor.readBlock(into: &block) else { continue }
            let (visited, stopped) = block.visitRows(with: &visitor)
            cursor.visited(visited)
            if stopped { break }
        }
        return cursor.finish()
    }

    /// The earliest flow start of each block a `scan` over `[since, until)` would offer its
    /// visitor, in scan order, read from indexes and block headers without decoding a block.
    /// A query that prints rows in time order streams them with it: a row can be printed once
    /// no block still to come starts earlier.
    public func blockStarts(since: Timestamp?, until: Timestamp?) throws -> [Timestamp] {
        let cursor = try _ScanCursor(reader: self, since: since, until: until)
        var starts: [Timestamp] = []
        while let digest = try cursor.nextBlock() {
            starts.append(digest.minStart)
            cursor.skipBlock()
        }
        return starts
    }

    // MARK: - Directory

    static func overlaps(_ minStart: Timestamp, _ maxEnd: Timestamp, _ since: Timestamp?, _ until: Timestamp?) -> Bool {
        if let since, maxEnd < since { return false }
        if let until, minStart >= until { return false }
        return true
    }

    /// Segment files by sequence; when a rename raced the listing and both names show, the sealed one.
    func listSegments() throws -> [SegmentRef] {
        var bySequence: [UInt64: SegmentRef] = [:]
        for name in try Directory.list(directory) {
            guard let parsed = SegmentFormat.parseFileName(name) else { continue }
            let ref = SegmentRef(name: name, sequence: parsed.sequence, open: parsed.open, path: directory + "/" + name)
            if let existing = bySequence[parsed.sequence], !existing.open { continue }
            bySequence[parsed.sequence] = ref
        }
        return bySequence.keys.sorted().map { bySequence[$0]! }
    }

    /// The manifest, nil when absent or damaged (it is only a cache of the footers); a newer
    /// version is an error.
    func loadManifest() throws -> Manifest? {
        do {
            return try Manifest.load(directory: directory)
        } catch let error as FlowlogError where error.code == .newerFormat {
            throw error
        } catch {
            return nil
        }
    }

    /// Opens a segment; an open segment sealed since the listing is found under its new name,
    /// one deleted by retention is skipped (nil).
    func openSegment(_ segment: SegmentRef) throws -> (PosixFile, SegmentRef)? {
        do {
            return (try PosixFile.openForReading(segment.path), segment)
        } catch let error as FlowlogError where error.code == .fileNotFound {
            guard segment.open else { return nil }
            let name = SegmentFormat.fileName(sequence: segment.sequence, open: false)
            let sealed = SegmentRef(name: name, sequence: segment.sequence, open: false, path: directory + "/" + name)
            do {
                return (try PosixFile.openForReading(sealed.path), sealed)
            } catch let error as FlowlogError where error.code == .fileNotFound {
                return nil
            }
        }
    }
}
