import FlowCore

/// The strings, label sets, identities and traces of a version 3 segment, read from its
/// dictionary records (layout in `SegmentFormat`), for the blocks of the segment to refer to.
///
/// Records lie between the blocks, each written twice: the first intact copy of a record is
/// used and a later copy skipped. A record whose copies are both damaged leaves its entries
/// "lost" (the next intact record says where its own start); an entry that refers to a lost
/// one is lost too. Only blocks that use a lost entry fail to decode (`BlockDecoder` checks each
/// reference), so a damaged record costs the blocks that need it and no other.
///
/// Entries are checked while loading (every reference in range, every enum byte valid) and
/// kept as positions into `bytes`, the records' payloads one after another; `BlockDictionaries`
/// builds an entry from them when a query asks for it. Immutable once loaded.
final class SegmentDictionary: Sendable {
    let bytes: [UInt8]
    /// Per entry, where it starts in `bytes` (strings: and ends), -1 when lost.
    let stringStarts: [Int32]
    let stringEnds: [Int32]
    let labelSetStarts: [Int32]
    let identityStarts: [Int32]
    let traceStarts: [Int32]
    /// Per trace, its reporter byte (0 when lost).
    let traceReporters: [UInt8]
    /// Whether any entry is lost (only then do blocks check each reference for it).
    let hasLost: Bool

    static let empty = SegmentDictionary(Builder())

    private init(_ b: Builder) {
        bytes = b.bytes
        stringStarts = b.stringStarts
        stringEnds = b.stringEnds
        labelSetStarts = b.labelSetStarts
        identityStarts = b.identityStarts
        traceStarts = b.traceStarts
        traceReporters = b.traceReporters
        hasLost = b.hasLost
    }

    /// What loading met: damage that cost nothing (a copy was intact), and damage that lost
    /// entries (both copies, or a record that checks out but does not parse).
    struct Damage {
        var copies: [FlowlogError] = []
        var lost: [FlowlogError] = []
    }

    /// Reads the records in `regions` (the file's bytes between the segment header and the
    /// blocks, in file order). Throws only for I/O errors and records of a newer format.
    static func load(_ file: PosixFile, regions: [(offset: UInt64, length: UInt64)]) throws -> (SegmentDictionary, Damage) {
        var builder = Builder()
        var damage = Damage()
        var buffer: [UInt8] = []
        var total: UInt64 = 0
        for region in regions where region.length > 0 {
            total += region.length
            // Bytes between blocks are input: a forged index could put gigabytes there.
            guard total <= UInt64(SegmentFormat.maximumSegmentDictionarySize) * UInt64(SegmentFormat.dictionaryCopies) else {
                damage.lost.append(FlowlogError(.corrupt, "more bytes between blocks than a segment's dictionary records may take; the rest were not read",
                                                location: .init(file: file.path, offset: region.offset, field: "dictionary record")))
                break
            }
            let got = try file.read(into: &buffer, count: Int(region.length), at: region.offset)
            try buffer.withUnsafeBytes { raw in
                try builder.parse(UnsafeRawBufferPointer(rebasing: raw[0..<got]), at: region.offset, file: file.path, damage: &damage)
            }
        }
        return (SegmentDictionary(builder), damage)
    }

    /// Loads from bytes already in memory (the fuzz target; tests).
    static func load(_ bytes: UnsafeRawBufferPointer, file: String) throws -> (SegmentDictionary, Damage) {
        var builder = Builder()
        var damage = Damage()
        try builder.parse(bytes, at: 0, file: file, damage: &damage)
        return (SegmentDictionary(builder), damage)
    }

    private struct Builder {
        var bytes: [UInt8] = []
        var stringStarts: [Int32] = []
        var stringEnds: [Int32] = []
        var labelSetStarts: [Int32] = []
        var identityStarts: [Int32] = []
        var traceStarts: [Int32] = []
        var traceReporters: [UInt8] = []
        var hasLost = false
        private var raw: [UInt8] = []

        var marks: DictionaryMarks {
            DictionaryMarks(strings: stringStarts.count, labelSets: labelSetStarts.count, identities: identityStarts.count,
                            traces: traceStarts.count)
        }

        /// The records in `region`, which starts at file offset `base`.
        mutating func parse(_ region: UnsafeRawBufferPointer, at base: UInt64, file: String, damage: inout Damage) throws {
            var position = 0
            /// Where bytes that are no intact record began (reported once per stretch).
            var damagedFrom: Int?
            func noteDamage(upTo end: Int) {
                guard let from = damagedFrom else { return }
                damage.copies.append(FlowlogError(.corrupt, "damaged dictionary record; skipped \(end - from) bytes (an intact copy is used if there is one)",
                                                  location: .init(file: file, offset: base + UInt64(from), field: "dictionary record")))
                damagedFrom = nil
            }
            while position + SegmentFormat.dictionaryHeaderSize <= region.count {
                let header: DictionaryRecordHeader?
                do {
                    header = try DictionaryRecordHeader.decode(region, at: position)
                } catch .newerVersion(let v) {
                    throw FlowlogError(.newerFormat, "dictionary record format version \(v) is newer than this flowlog understands (\(SegmentFormat.version))",
                                       location: .init(file: file, offset: base + UInt64(position), field: "dictionary record header"))
                } catch {
                    damage.copies.append(FlowlogError(.corrupt, "implausible dictionary record header (\(error)); skipped",
                                                      location: .init(file: file, offset: base + UInt64(position), field: "dictionary record header")))
                    header = nil
                }
                guard let header, position + header.totalSize <= region.count else {
                    if damagedFrom == nil { damagedFrom = position }
                    position += 1
                    continue
                }
                noteDamage(upTo: position)
                let location = FlowlogError.Location(file: file, offset: base + UInt64(position), field: "dictionary record")
                let stored = UnsafeRawBufferPointer(rebasing: region[(position + SegmentFormat.dictionaryHeaderSize)..<(position + header.totalSize)])
                position += header.totalSize
                guard CRC32C.checksum(stored) == header.payloadCRC else {
                    damage.copies.append(FlowlogError(.corrupt, "dictionary record payload checksum mismatch (an intact copy is used if there is one)",
                                                      location: location))
                    continue
                }
                let now = marks, first = header.first
                if first.strings <= now.strings && first.labelSets <= now.labelSets && first.identities <= now.identities
                    && first.traces <= now.traces && header.end.strings <= now.strings && header.end.labelSets <= now.labelSets
                    && header.end.identities <= now.identities && header.end.traces <= now.traces {
                    continue   // the other copy of a record already read (or an older one)
                }
                guard first.strings >= now.strings, first.labelSets >= now.labelSets, first.identities >= now.identities,
                      first.traces >= now.traces else {
                    damage.lost.append(FlowlogError(.corrupt, "dictionary record overlaps the entries before it; skipped", location: location))
                    continue
                }
                if first != now {
                    // A record between was lost (both copies): its entries are.
                    damage.lost.append(FlowlogError(.corrupt, "dictionary entries lost with a damaged dictionary record before this one (strings \(now.strings)..<\(first.strings), identities \(now.identities)..<\(first.identities), traces \(now.traces)..<\(first.traces)); blocks that use them cannot be read",
                                                    location: location))
                    markLost(upTo: first)
                }
                do {
                    try append(stored, header: header)
                } catch let malformed as BlockDecoder.Malformed {
                    damage.lost.append(FlowlogError(.corrupt, "dictionary record does not decode (\(malformed)); its entries are lost",
                                                    location: location))
                } catch let overrun as ByteCursor.Overrun {
                    damage.lost.append(FlowlogError(.corrupt, "dictionary record does not decode (value out of range or past the end at raw byte \(overrun.position)); its entries are lost",
                                                    location: location))
                }
            }
            if damagedFrom == nil, position < region.count { damagedFrom = position }
            noteDamage(upTo: region.count)
        }

        private mutating func markLost(upTo marks: DictionaryMarks) {
            hasLost = true
            while stringStarts.count < marks.strings { stringStarts.append(-1); stringEnds.append(-1) }
            while labelSetStarts.count < marks.labelSets { labelSetStarts.append(-1) }
            while identityStarts.count < marks.identities { identityStarts.append(-1) }
            while traceStarts.count < marks.traces { traceStarts.append(-1); traceReporters.append(0) }
        }

        /// Decompresses, checks and adds one record's entries; nothing is added when it throws.
        private mutating func append(_ stored: UnsafeRawBufferPointer, header: DictionaryRecordHeader) throws {
            let rawSize = try BlockCodec.decompress(stored, crc: header.payloadCRC, rawSize: header.rawSize, into: &raw)
            guard bytes.count + rawSize <= SegmentFormat.maximumSegmentDictionarySize else {
                throw BlockDecoder.Malformed(reason: "the segment's dictionary records exceed \(SegmentFormat.maximumSegmentDictionarySize) bytes", position: nil)
            }
            let base = bytes.count
            var strings: [(Int32, Int32)] = [], labelSets: [Int32] = [], identities: [Int32] = []
            var traces: [(Int32, UInt8)] = []
            var lostHere = false
            try raw.withUnsafeBytes { whole in
                let payload = UnsafeRawBufferPointer(rebasing: whole[0..<rawSize])
                var c = ByteCursor(payload)
                let stringLimit = header.end.strings, labelSetLimit = header.end.labelSets
                // Whether entry `n` of a table is present: earlier records' or this one's.
                func present(string n: Int) -> Bool {
                    n < stringStarts.count ? stringStarts[n] >= 0 : strings[n - stringStarts.count].0 >= 0
                }
                func present(labelSet n: Int) -> Bool {
                    n < labelSetStarts.count ? labelSetStarts[n] >= 0 : labelSets[n - labelSetStarts.count] >= 0
                }
                for _ in 0..<header.counts.strings {
                    let length = try c.index(below: c.remaining + 1)
                    let start = c.position
                    try c.skip(length)
                    strings.append((Int32(base + start), Int32(base + c.position)))
                }
                for _ in 0..<header.counts.labelSets {
                    let start = c.position
                    let pairs = try c.index(below: c.remaining + 1)
                    var ok = true
                    for _ in 0..<(2 * pairs) { ok = present(string: try c.index(below: stringLimit)) && ok }
                    labelSets.append(ok ? Int32(base + start) : -1)
                    lostHere = lostHere || !ok
                }
                for _ in 0..<header.counts.identities {
                    let start = c.position
                    guard EndpointKind(rawValue: try c.u8()) != nil else { throw BlockDecoder.Malformed(reason: "bad endpoint kind", position: start) }
                    var ok = present(string: try c.index(below: stringLimit))
                    ok = present(string: try c.index(below: stringLimit)) && ok
                    ok = present(string: try c.index(below: stringLimit)) && ok
                    ok = present(labelSet: try c.index(below: labelSetLimit)) && ok
                    ok = present(string: try c.index(below: stringLimit)) && ok
                    identities.append(ok ? Int32(base + start) : -1)
                    lostHere = lostHere || !ok
                }
                for _ in 0..<header.counts.traces {
                    let start = c.position
                    let reporter = try c.u8()
                    guard Reporter(rawValue: reporter) != nil, Verdict(rawValue: try c.u8()) != nil else {
                        throw BlockDecoder.Malformed(reason: "bad trace reporter or action", position: start)
                    }
                    var ok = true
                    for _ in 0..<(try c.index(below: c.remaining + 1)) {
                        _ = try c.signed()
                        ok = present(string: try c.index(below: stringLimit)) && ok
                        let kindAt = c.position
                        guard PolicyKind(rawValue: try c.u8()) != nil else { throw BlockDecoder.Malformed(reason: "bad policy kind", position: kindAt) }
                        ok = present(string: try c.index(below: stringLimit)) && ok
                        ok = present(string: try c.index(below: stringLimit)) && ok
                        let actionAt = c.position
                        guard PolicyAction(rawValue: try c.u8()) != nil else { throw BlockDecoder.Malformed(reason: "bad policy action", position: actionAt) }
                        _ = try c.signed()
                    }
                    traces.append((ok ? Int32(base + start) : -1, reporter))
                    lostHere = lostHere || !ok
                }
                guard c.isAtEnd else { throw BlockDecoder.Malformed(reason: "bytes after the record's last entry", position: c.position) }
            }
            bytes.append(contentsOf: raw[0..<rawSize])
            for (start, end) in strings { stringStarts.append(start); stringEnds.append(end) }
            labelSetStarts += labelSets
            identityStarts += identities
            for (start, reporter) in traces { traceStarts.append(start); traceReporters.append(reporter) }
            if lostHere { hasLost = true }
        }
    }
}
