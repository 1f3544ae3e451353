import FlowCore

/// Renders a flow's policy hits (egress then ingress) once per distinct pair of hit lists.
///
/// As with labels, the store shares each conversation's traces between its flows, so the
/// hit arrays' storage identifies them; the cache holds the arrays (keeping that storage
/// alive and unchanged) and confirms a hit with `==`, immediate for shared storage.
struct PolicyTextCache {
    private struct Key: Hashable {
        var first: UnsafeRawPointer?
        var second: UnsafeRawPointer?
    }

    private struct Entry {
        let first: [PolicyHit]?
        let second: [PolicyHit]?
        var rendered: [[UInt8]?] = [nil, nil, nil]
    }

    private var slots: [Key: Int] = [:]
    private var entries: [Entry] = []
    private static let maximumEntries = 8192

    mutating func write(_ first: PolicyTrace?, _ second: PolicyTrace?, style: FieldWriter.Style,
                        into out: inout OutputBuffer) {
        let firstHits = first?.hits, secondHits = second?.hits
        let key = Key(first: Self.identity(firstHits), second: Self.identity(secondHits))
        let index = Self.index(style)
        if let slot = slots[key], entries[slot].first == firstHits, entries[slot].second == secondHits {
            if let bytes = entries[slot].rendered[index] {
                out.append(bytesOf: bytes)
            } else {
                let start = out.count
                FieldWriter.policies(first, second, style, &out)
                entries[slot].rendered[index] = Array(out.written(from: start))
            }
            return
        }
        let start = out.count
        FieldWriter.policies(first, second, style, &out)
        var entry = Entry(first: firstHits, second: secondHits)
        entry.rendered[index] = Array(out.written(from: start))
        if entries.count >= Self.maximumEntries {
            slots.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
        }
        if let slot = slots[key] {
            entries[slot] = entry
        } else {
            slots[key] = entries.count
            entries.append(entry)
        }
    }

    /// The address of the array's elements: the same for every copy sharing the storage.
    private static func identity(_ hits: [PolicyHit]?) -> UnsafeRawPointer? {
        guard let hits, !hits.isEmpty else { return nil }
        return hits.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
    }

    private static func index(_ style: FieldWriter.Style) -> Int {
        switch style {
        case .plain: return 0
        case .csv: return 1
        case .json: return 2
        }
    }
}
