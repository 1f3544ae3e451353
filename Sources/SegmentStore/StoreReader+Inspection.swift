import FlowCore

/// One segment as `flowlog store info` lists it.
public struct SegmentSummary: Sendable, Equatable {
    public var name: String
    public var sealed: Bool
    public var blocks: Int
    public var flows: UInt64
    public var bytes: UInt64
    /// Smallest start and largest end of its flows (zero when it has none).
    public var minStart: Timestamp
    public var maxEnd: Timestamp
    public var created: Timestamp
    public var bytesPerFlow: Double { flows == 0 ? 0 : Double(bytes) / Double(flows) }
}

/// What `flowlog store verify` found.
public struct VerificationReport: Sendable, Equatable {
    public struct Segment: Sendable, Equatable {
        public var name: String
        public var sealed: Bool
        public var blocks: Int
        public var flows: UInt64
        public var problems: [FlowlogError]
        /// Open segments: bytes after the last complete block (a block being written, or a
        /// torn write the next writer cuts). Not a problem.
        public var unfinishedTail: UInt64 = 0
    }

    public var segments: [Segment] = []
    /// Problems of the directory as a whole (manifest).
    public var problems: [FlowlogError] = []

    public var isClean: Bool { problems.isEmpty && segments.allSatisfy { $0.problems.isEmpty } }
    public var problemCount: Int { problems.count + segments.reduce(0) { $0 + $1.problems.count } }
}

extension StoreReader {
    /// A line per segment, from footers (sealed) or block headers (open); reads no payload.
    public func summaries() throws -> [SegmentSummary] {
        var result: [SegmentSummary] = []
        for segment in try listSegments() {
            guard let (file, ref) = try openSegment(segment) else { continue }
            defer { file.close() }
            let layout: SegmentLayout
            do {
                layout = try SegmentLayout.read(file, dictionaries: false)
            } catch let error as FlowlogError where error.code != .newerFormat && error.code != .io {
                result.append(SegmentSummary(name: ref.name, sealed: !ref.open, blocks: 0, flows: 0,
                                             bytes: (try? file.size) ?? 0, minStart: .zero, maxEnd: .zero, created: .zero))
                continue
            }
            let minStart = layout.blocks.map(\.digest.minStart).min() ?? .zero
            let maxEnd = layout.blocks.map(\.digest.maxEnd).max() ?? .zero
            result.append(SegmentSummary(name: ref.name, sealed: layout.footer != nil, blocks: layout.blocks.count,
                                         flows: layout.flowCount, bytes: layout.fileSize, minStart: minStart, maxEnd: maxEnd,
                                         created: layout.header.created))
        }
        return result
    }

    /// Checks everything: segment headers, every block's header and payload checksums and
    /// decoding, each sealed index against the blocks it lists (offsets found by walking the
    /// file, digests rebuilt from the decoded flows), and the manifest against the footers.
    public func verify() throws -> VerificationReport {
        var report = VerificationReport()
        var manifestEntries: [String: Manifest.Entry] = [:]
        do {
            for entry in try Manifest.load(directory: directory)?.entries ?? [] { manifestEntries[entry.name] = entry }
        } catch let error as FlowlogError {
            report.problems.append(error)
        }
        var reader = BlockReader()
        var decoded = BlockRows()
        var seen = Set<String>()
        for segment in try listSegments() {
            guard let (file, ref) = try openSegment(segment) else { continue }
            defer { file.close() }
            seen.insert(ref.name)
            var check = VerificationReport.Segment(name: ref.name, sealed: !ref.open, blocks: 0, flows: 0, problems: [])
            defer { report.segments.append(check) }
            let layout: SegmentLayout, walked: SegmentLayout
            do {
                layout = try SegmentLayout.read(file)
                walked = try SegmentLayout.read(file, useIndex: false, verifyPayloads: false, dictionaries: false)
            } catch let error as FlowlogError where error.code != .io {
                check.problems.append(error)
                continue
            }
            check.problems += layout.problems + layout.dictionaryCopiesDamaged
            if layout.footer == nil { check.unfinishedTail = layout.fileSize - layout.validEnd }
            if !ref.open && layout.footer == nil {
                check.problems.append(FlowlogError(.corrupt, "sealed segment has no valid index and footer", location: .init(file: ref.path)))
            }
            if let footer = layout.footer {
                check.problems += walked.problems
                if walked.blocks.map(\.offset) != layout.blocks.map(\.offset) {
                    check.problems.append(FlowlogError(.corrupt, "index lists \(layout.blocks.count) block(s), the file holds \(walked.blocks.count)",
                                                       location: .init(file: ref.path, offset: footer.indexOffset, field: "block index")))
                }
                if walked.validEnd != footer.indexOffset && walked.problems.isEmpty {
                    check.problems.append(FlowlogError(.corrupt, "unreadable bytes between the last block and the index",
                                                       location: .init(file: ref.path, offset: walked.validEnd)))
                }
                if layout.flowCount != footer.flowCount {
                    check.problems.append(FlowlogError(.corrupt, "footer counts \(footer.flowCount) flows, the index \(layout.flowCount)",
                                                       location: .init(file: ref.path, offset: layout.fileSize - UInt64(SegmentFormat.footerSize), field: "footer")))
                }
                if let entry = manifestEntries[ref.name] {
                    if entry.flows != footer.flowCount || entry.blocks != footer.blockCount || entry.minStart != footer.minStart
                        || entry.maxEnd != footer.maxEnd || entry.bytes != layout.fileSize {
                        report.problems.append(FlowlogError(.corrupt, "manifest entry disagrees with the segment's footer",
                                                            location: .init(file: directory + "/" + SegmentFormat.manifestName, field: ref.name)))
                    }
                } else if !ref.open {
                    report.problems.append(FlowlogError(.validation, "sealed segment missing from the manifest (a writer adds it when it next opens the store)",
                                                        location: .init(file: directory + "/" + SegmentFormat.manifestName, field: ref.name)))
                }
            }
            for block in layout.blocks {
                do {
                    _ = try reader.read(file, block: block, since: nil, until: nil, into: &decoded)
                } catch let error as FlowlogError where error.code != .io {
                    check.problems.append(error)
                    continue
                }
                let rebuilt = decoded.rebuildDigest()
                check.blocks += 1
                check.flows += UInt64(rebuilt.count)
                let stored = block.digest
                let exactPartsAgree = stored.count == rebuilt.count && stored.minStart == rebuilt.minStart
                    && stored.maxEnd == rebuilt.maxEnd && stored.verdictMask == rebuilt.verdictMask && stored.protocolMask == rebuilt.protocolMask
                if !exactPartsAgree || (layout.footer != nil && stored != rebuilt) {
                    check.problems.append(FlowlogError(.corrupt, "block digest does not match the block's flows",
                                                       location: .init(file: ref.path, offset: block.offset, field: "block digest")))
                }
            }
        }
        for name in manifestEntries.keys.sorted() where !seen.contains(name) {
            report.problems.append(FlowlogError(.fileNotFound, "manifest lists a segment that does not exist",
                                                location: .init(file: directory + "/" + SegmentFormat.manifestName, field: name)))
        }
        return report
    }
}
