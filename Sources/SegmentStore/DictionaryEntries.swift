/// A version 3 dictionary record's entries before compression, table by table (the record's
/// raw payload is the four tables one after another, layout in `SegmentFormat`).
///
/// Kept apart per table so that the entries of a record that never reached the file (its
/// block was lost) go before the next record's own in each table, as one record numbering
/// both blocks' entries would hold them (`followed(by:)`): the next block need not wait to
/// learn whether the one before it was written before it closes its own record.
struct DictionaryEntries {
    var range: DictionaryRange
    var strings = ByteSink()
    var labelSets = ByteSink()
    var identities = ByteSink()
    var traces = ByteSink()

    init(range: DictionaryRange) { self.range = range }

    var isEmpty: Bool { range.isEmpty }

    /// The record's raw payload.
    var payload: [UInt8] {
        var bytes = strings.bytes
        bytes.reserveCapacity(strings.bytes.count + labelSets.bytes.count + identities.bytes.count + traces.bytes.count)
        bytes.append(contentsOf: labelSets.bytes)
        bytes.append(contentsOf: identities.bytes)
        bytes.append(contentsOf: traces.bytes)
        return bytes
    }

    /// These entries and then `later`'s, which the same segment numbering gave next: one
    /// record holding both ranges.
    func followed(by later: DictionaryEntries) -> DictionaryEntries {
        precondition(later.range.from == range.to, "entries that do not follow each other")
        var both = DictionaryEntries(range: DictionaryRange(from: range.from, to: later.range.to))
        both.strings.bytes = strings.bytes + later.strings.bytes
        both.labelSets.bytes = labelSets.bytes + later.labelSets.bytes
        both.identities.bytes = identities.bytes + later.identities.bytes
        both.traces.bytes = traces.bytes + later.traces.bytes
        return both
    }
}
