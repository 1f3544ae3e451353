import FlowCore

/// What a writer does when it opens a directory: seal the open segments a killed writer left,
/// and make the manifest agree with the sealed files present.
enum StoreRecovery {
    struct Outcome {
        var report: RecoveryReport
        var manifest: Manifest
        var nextSequence: UInt64
    }

    static func run(directory: String) throws -> Outcome {
        var report = RecoveryReport()
        var highest: UInt64 = 0
        try Directory.remove(directory + "/" + SegmentFormat.manifestName + ".tmp")
        for name in try Directory.list(directory) {
            guard let parsed = SegmentFormat.parseFileName(name) else { continue }
            highest = max(highest, parsed.sequence)
            if parsed.open {
                try recoverOpenSegment(directory: directory, name: name, sequence: parsed.sequence, report: &report)
            } else {
                try rejectNewerFormat(directory + "/" + name)
            }
        }

        // What is on disk: nil when there is no manifest, or one that cannot be read.
        var stored: Manifest?
        do {
            stored = try Manifest.load(directory: directory)
        } catch let error as FlowlogError where error.code != .newerFormat {
            report.problems.append(error)
        }
        let manifest = try reconcile(stored ?? Manifest(), directory: directory, report: &report)
        // Rewritten (and synced: a file and a directory sync, 10-60 ms on a busy disk) only
        // when it says something new. A manifest equal to the reconciled one is already there;
        // a store without one and without sealed segments (a new store) reads as empty, which
        // the reconciled manifest is: writing it would make nothing more durable.
        let absentAndEmpty = stored == nil && report.problems.isEmpty && manifest.entries.isEmpty
        if manifest != stored && !absentAndEmpty {
            try manifest.store(directory: directory, sync: true)
        }
        return Outcome(report: report, manifest: manifest, nextSequence: highest + 1)
    }

    /// A writer must not add segments next to ones a newer flowlog wrote.
    static func rejectNewerFormat(_ path: String) throws {
        let file = try PosixFile.openForReading(path)
        defer { file.close() }
        var buffer: [UInt8] = []
        let got = try file.read(into: &buffer, count: SegmentFormat.segmentHeaderSize, at: 0)
        do {
            _ = try buffer.withUnsafeBytes { try SegmentHeader.decode(UnsafeRawBufferPointer(rebasing: $0[0..<got]), file: path) }
        } catch let error as FlowlogError where error.code == .newerFormat {
            throw error
        } catch {
            // Damage is verify's business; the writer leaves the file alone.
        }
    }

    /// Keeps every complete, intact block of an open segment, cuts the torn tail, rebuilds the
    /// blocks' digests by decoding them, writes the index and renames the file sealed.
    static func recoverOpenSegment(directory: String, name: String, sequence: UInt64, report: inout RecoveryReport) throws {
        let path = directory + "/" + name
        let sealedPath = directory + "/" + SegmentFormat.fileName(sequence: sequence, open: false)
        let file = try PosixFile.openForWriting(path, create: false)
        defer { file.close() }
        report.segmentsRecovered += 1
        let size = try file.size
        let layout: SegmentLayout
        do {
            layout = try SegmentLayout.read(file, useIndex: true, verifyPayloads: true)
        } catch let error as FlowlogError where error.code != .newerFormat && error.code != .io {
            // Not even a whole segment header: the writer died creating the file.
            report.bytesTruncated += size
            report.problems.append(error)
            try Directory.remove(path)
            return
        }
        if layout.footer != nil {
            // Killed between writing the index and the rename: the seal is complete.
            try file.sync()
            try Directory.move(path, to: sealedPath)
            report.blocksKept += layout.blocks.count
            report.flowsKept += layout.flowCount
            return
        }
        report.problems += layout.problems
        report.bytesTruncated += size - layout.validEnd
        try file.truncate(to: layout.validEnd)
        if layout.headerDamaged {
            // The blocks were found without it; write it anew so the sealed file reads clean.
            try file.write(layout.header.encoded(), at: 0)
        }
        guard !layout.blocks.isEmpty else {
            try Directory.remove(path)
            return
        }
        var index: [BlockIndexEntry] = []
        var flows: UInt64 = 0
        var minStart = Timestamp(nanoseconds: .max), maxEnd = Timestamp.zero
        var reader = BlockReader()
        var decoded = BlockRows()
        for block in layout.blocks {
            do {
                _ = try reader.read(file, block: block, since: nil, until: nil, into: &decoded)
            } catch let error as FlowlogError {
                report.problems.append(error)
                continue
            }
            let digest = decoded.rebuildDigest()
            index.append(BlockIndexEntry(offset: block.offset, length: block.length, digest: digest))
            flows += UInt64(digest.count)
            if digest.minStart < minStart { minStart = digest.minStart }
            if digest.maxEnd > maxEnd { maxEnd = digest.maxEnd }
        }
        report.blocksKept += index.count
        report.flowsKept += flows
        let trailer = SegmentTrailer.encode(index: index, indexOffset: layout.validEnd, flows: flows, minStart: minStart, maxEnd: maxEnd)
        try file.write(trailer.bytes, at: layout.validEnd)
        try file.sync()
        try Directory.move(path, to: sealedPath)
        try Directory.sync(directory)
    }

    /// Drops manifest lines whose file is gone and adds sealed files the manifest lacks (a crash
    /// between a rename and the manifest rewrite).
    static func reconcile(_ manifest: Manifest, directory: String, report: inout RecoveryReport) throws -> Manifest {
        var result = Manifest()
        let names = Set(try Directory.list(directory))
        var known = Set<String>()
        for entry in manifest.entries where names.contains(entry.name) {
            result.entries.append(entry)
            known.insert(entry.name)
        }
        for name in names.sorted() where !known.contains(name) {
            guard let parsed = SegmentFormat.parseFileName(name), !parsed.open else { continue }
            let path = directory + "/" + name
            let file = try PosixFile.openForReading(path)
            defer { file.close() }
            let layout: SegmentLayout
            do {
                layout = try SegmentLayout.read(file, dictionaries: false)
            } catch let error as FlowlogError where error.code != .newerFormat && error.code != .io {
                // Not a segment after all (or nothing in it checks out): verify reports it; the
                // writer leaves it alone and must still open the store.
                report.problems.append(error)
                continue
            }
            guard let footer = layout.footer else {
                report.problems.append(FlowlogError(.corrupt, "sealed segment has no valid index; left out of the manifest (see `flowlog store verify`)",
                                                    location: .init(file: path)))
                continue
            }
            result.entries.append(Manifest.entry(name: name, sequence: parsed.sequence, footer: footer,
                                                 bytes: layout.fileSize, sealedAt: layout.header.created))
        }
        result.entries.sort { $0.sequence < $1.sequence }
        return result
    }
}
