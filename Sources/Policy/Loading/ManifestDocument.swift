#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Yams

/// A parsed YAML/JSON stream held flat: one array of fixed-size entries and one array of the
/// scalars' bytes, instead of a tree of Yams nodes.
///
/// Loading a large cluster built a few hundred thousand nodes (an object each, a `String` per
/// scalar, an array per collection) and then spent as long again retaining, releasing and
/// freeing them while reading a handful of fields per object. Here a collection's children
/// follow it in the entry array (each entry knows where its subtree ends), a scalar is a range of
/// `bytes` turned into a `String` only when a field is read, and a key is compared as bytes.
///
/// Everything the loader observed of a Yams node is kept: scalar text, tag, style, line and
/// column (1-based; 0 when unknown), the pairs of a mapping in order (duplicates included) and
/// aliases, which name the anchored entry (as Yams' alias is the anchored node).
package final class ManifestDocument: Sendable {
    package enum Kind: UInt8, Sendable {
        case scalar, mapping, sequence
        /// Stands for the anchored entry `start` names (never handed out: `ManifestNode` follows it).
        case alias
    }

    struct Entry: Equatable {
        var kind: Kind
        /// `Node.Scalar.Style` / `Node.Mapping.Style` / `Node.Sequence.Style` raw value.
        var style: UInt8
        /// Index into `tags`; 0 is the implicit (empty) tag.
        var tag: UInt32
        var line: UInt32
        var column: UInt32
        /// Scalar: offset of its text in `bytes`. Alias: the entry it stands for.
        var start: UInt32
        /// Scalar: its text's length in bytes. Collection: number of children (a mapping's keys
        /// and values alternate).
        var count: UInt32
        /// The entry after this one's subtree.
        var end: UInt32
    }

    let entries: [Entry]
    let bytes: [UInt8]
    /// Tag names by number; `tags[0]` is "" (implicit).
    let tags: [String]

    init(entries: [Entry], bytes: [UInt8], tags: [String]) {
        self.entries = entries
        self.bytes = bytes
        self.tags = tags
    }

    /// Tag numbers of the names `ManifestNode.value(of:)` accepts on a key.
    static let implicitTag: UInt32 = 0

    /// Appends entries, scalar bytes and tag names; the one way documents are built.
    ///
    /// A builder may start from the text being read (`init(text:)`): a scalar that stands in
    /// that text as it is (most of a block-style manifest's) then names its place there rather
    /// than being copied; scalars made anew (unescaped, or from another parser) go after it.
    /// Copying every scalar of a large cluster's pod file was a tenth of reading it.
    struct Builder {
        var entries: [Entry] = []
        /// The text read, unchanged; scalars at offsets below its count lie in it.
        let text: [UInt8]
        /// Scalars made anew, at offsets from `text.count` on.
        var bytes: [UInt8] = []
        var tags: [String] = [""]
        private var tagNumbers: [String: UInt32] = ["": 0]

        init(text: [UInt8] = []) {
            self.text = text
        }

        /// `nil` and "" are the implicit tag.
        mutating func tagNumber(_ name: String?) -> UInt32 {
            guard let name, !name.isEmpty else { return 0 }
            if let known = tagNumbers[name] { return known }
            let number = UInt32(tags.count)
            tagNumbers[name] = number
            tags.append(name)
            return number
        }

        /// Where the next scalar `scalar(_:…)` copies will start.
        var nextStart: Int { text.count + bytes.count }

        /// Appends a scalar, copying its bytes; returns its entry index.
        @discardableResult
        mutating func scalar(_ scalarText: UnsafeBufferPointer<UInt8>, tag: UInt32, style: UInt8, line: Int, column: Int) -> UInt32 {
            let start = nextStart
            bytes.append(contentsOf: scalarText)
            return scalar(at: start, count: scalarText.count, tag: tag, style: style, line: line, column: column)
        }

        /// Appends a scalar whose bytes are already held at `start` (in `text`, or copied
        /// before); returns its entry index.
        @discardableResult
        mutating func scalar(at start: Int, count: Int, tag: UInt32, style: UInt8, line: Int, column: Int) -> UInt32 {
            let index = UInt32(entries.count)
            entries.append(Entry(kind: .scalar, style: style, tag: tag, line: UInt32(clamping: line), column: UInt32(clamping: column),
                                 start: UInt32(truncatingIfNeeded: start), count: UInt32(truncatingIfNeeded: count), end: index + 1))
            return index
        }

        /// The bytes at `start` (in `text` or after it), `count` long, lent to `body`.
        func withBytes<R>(at start: Int, count: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
            if start < text.count {
                return text.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[start..<(start + count)])) }
            }
            let from = start - text.count
            return bytes.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[from..<(from + count)])) }
        }

        /// Opens a collection; its children are appended next, then `close(_:)` is called.
        mutating func open(_ kind: Kind, tag: UInt32, style: UInt8, line: Int, column: Int) -> UInt32 {
            let index = UInt32(entries.count)
            entries.append(Entry(kind: kind, style: style, tag: tag, line: UInt32(clamping: line), column: UInt32(clamping: column),
                                 start: 0, count: 0, end: 0))
            return index
        }

        mutating func close(_ index: UInt32, children: Int) {
            entries[Int(index)].count = UInt32(children)
            entries[Int(index)].end = UInt32(entries.count)
        }

        /// An entry standing for `target`, an entry already built.
        mutating func alias(to target: UInt32) {
            let index = UInt32(entries.count)
            let t = entries[Int(target)]
            entries.append(Entry(kind: .alias, style: t.style, tag: t.tag, line: t.line, column: t.column, start: target,
                                 count: 0, end: index + 1))
        }

        /// The document: `text` and the scalars made anew, in one array (the text alone, shared
        /// and not copied, when nothing was made anew).
        func finish() -> ManifestDocument {
            if bytes.isEmpty { return ManifestDocument(entries: entries, bytes: text, tags: tags) }
            if text.isEmpty { return ManifestDocument(entries: entries, bytes: bytes, tags: tags) }
            var all = [UInt8]()
            all.reserveCapacity(text.count + bytes.count)
            all.append(contentsOf: text)
            all.append(contentsOf: bytes)
            return ManifestDocument(entries: entries, bytes: all, tags: tags)
        }
    }
}

/// One node of a `ManifestDocument`: a scalar, a mapping or a sequence (aliases are followed).
package struct ManifestNode: Sendable {
    package let document: ManifestDocument
    let index: Int

    init(document: ManifestDocument, index: Int) {
        self.document = document
        let entry = document.entries[index]
        self.index = entry.kind == .alias ? Int(entry.start) : index
    }

    private var entry: ManifestDocument.Entry { document.entries[index] }

    package var kind: ManifestDocument.Kind { entry.kind }
    package var isScalar: Bool { kind == .scalar }
    package var isMapping: Bool { kind == .mapping }
    package var isSequence: Bool { kind == .sequence }

    /// 1-based; nil when unknown.
    package var line: Int? { let l = entry.line; return l == 0 ? nil : Int(l) }
    package var column: Int? { let c = entry.column; return entry.line == 0 ? nil : Int(c) }

    /// The tag as Yams names it ("" implicit, "!" non-specific, "tag:yaml.org,2002:str", …).
    package var tag: String { document.tags[Int(entry.tag)] }
    package var style: UInt8 { entry.style }

    /// A scalar's text; nil for a collection.
    package var scalarText: String? {
        let e = entry
        guard e.kind == .scalar else { return nil }
        return document.bytes.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0[Int(e.start)..<Int(e.start + e.count)]), as: UTF8.self)
        }
    }

    /// Whether this is a scalar whose text is exactly `text`'s bytes.
    package func scalarEquals(_ text: String) -> Bool {
        let e = entry
        guard e.kind == .scalar else { return false }
        var text = text
        return text.withUTF8 { key in
            guard key.count == Int(e.count) else { return false }
            if key.isEmpty { return true }
            return document.bytes.withUnsafeBufferPointer { all in
                memcmp(all.baseAddress! + Int(e.start), key.baseAddress!, key.count) == 0
            }
        }
    }

    /// `~`, `null`, `Null`, `NULL` or empty, whatever the style or tag (as Yams' `node.null`).
    package var isNull: Bool {
        let e = entry
        guard e.kind == .scalar else { return false }
        switch e.count {
        case 0: return true
        case 1: return document.bytes[Int(e.start)] == UInt8(ascii: "~")
        case 4: return scalarEquals("null") || scalarEquals("Null") || scalarEquals("NULL")
        default: return false
        }
    }

    /// Children of a collection: a sequence's items, a mapping's keys and values alternating.
    package var childCount: Int { kind == .scalar ? 0 : Int(entry.count) }

    /// A mapping's number of pairs.
    package var pairCount: Int { kind == .mapping ? Int(entry.count) / 2 : 0 }

    /// The children in order (empty for a scalar).
    package var children: Children { Children(document: document, start: index + 1, count: childCount) }

    package struct Children: Sequence {
        let document: ManifestDocument
        let start: Int
        let count: Int

        package struct Iterator: IteratorProtocol {
            let document: ManifestDocument
            var position: Int
            var remaining: Int

            package mutating func next() -> ManifestNode? {
                guard remaining > 0 else { return nil }
                remaining -= 1
                let node = ManifestNode(document: document, index: position)
                position = Int(document.entries[position].end)
                return node
            }
        }

        package func makeIterator() -> Iterator { Iterator(document: document, position: start, remaining: count) }
    }

    /// A mapping's pairs in file order (duplicates included).
    package var pairs: [(key: ManifestNode, value: ManifestNode)] {
        guard kind == .mapping else { return [] }
        var result: [(key: ManifestNode, value: ManifestNode)] = []
        result.reserveCapacity(pairCount)
        var iterator = children.makeIterator()
        while let key = iterator.next(), let value = iterator.next() { result.append((key, value)) }
        return result
    }

    /// Calls `body` with each child's number, its place in the document (where an alias
    /// stands, if it is one) and the node.
    package func forEachChild(_ body: (_ number: Int, _ position: Int, _ node: ManifestNode) -> Void) {
        var position = index + 1
        for number in 0..<childCount {
            let next = Int(document.entries[position].end)
            body(number, position, ManifestNode(document: document, index: position))
            position = next
        }
    }

    /// Calls `body` with a mapping's pairs in file order (duplicates included), each key's
    /// place in the document first.
    package func forEachPair(_ body: (_ keyPosition: Int, _ key: ManifestNode, _ value: ManifestNode) -> Void) {
        guard kind == .mapping else { return }
        var position = index + 1
        for _ in 0..<pairCount {
            let valuePosition = Int(document.entries[position].end)
            body(position, ManifestNode(document: document, index: position), ManifestNode(document: document, index: valuePosition))
            position = Int(document.entries[valuePosition].end)
        }
    }

    /// The value of the last key spelled `key`, as Yams' resolving `mapping[key]` finds it: a
    /// plain or quoted key matches; an explicitly tagged one only as `!!str` or `!` (none of
    /// the field names the loader asks for reads as a number, bool or null).
    package func value(of key: String) -> ManifestNode? { valueEntry(of: key)?.node }

    /// `value(of:)` with the value's place in the document (an alias's, when one stands there).
    package func valueEntry(of key: String) -> (position: Int, node: ManifestNode)? {
        guard kind == .mapping else { return nil }
        var found: (position: Int, node: ManifestNode)?
        var key = key
        key.withUTF8 { wanted in
            document.entries.withUnsafeBufferPointer { entries in
                document.bytes.withUnsafeBufferPointer { bytes in
                    var position = index + 1
                    var remaining = Int(entries[index].count) / 2
                    while remaining > 0 {
                        remaining -= 1
                        var keyEntry = entries[position]
                        let valuePosition = Int(keyEntry.end)
                        if keyEntry.kind == .alias { keyEntry = entries[Int(keyEntry.start)] }
                        if keyEntry.kind == .scalar, Int(keyEntry.count) == wanted.count,
                           wanted.isEmpty || memcmp(bytes.baseAddress! + Int(keyEntry.start), wanted.baseAddress!, wanted.count) == 0,
                           keyEntry.tag == ManifestDocument.implicitTag || Self.acceptsKeyTag(document.tags[Int(keyEntry.tag)]) {
                            found = (valuePosition, ManifestNode(document: document, index: valuePosition))
                        }
                        position = Int(entries[valuePosition].end)
                    }
                }
            }
        }
        return found
    }

    private static func acceptsKeyTag(_ tag: String) -> Bool {
        tag.isEmpty || tag == Tag.Name.nonSpecific.rawValue || tag == Tag.Name.str.rawValue
    }
}

extension ManifestNode {
    /// A Yams node as a flat document (report specifications are still parsed by Yams). Built
    /// with an explicit stack: no recursion, whatever the depth.
    package init(_ node: Node) {
        var builder = ManifestDocument.Builder()
        func mark(_ m: Mark?) -> (Int, Int) { m.map { ($0.line, $0.column) } ?? (0, 0) }
        // Work items: a node to append, or the close of a collection opened earlier.
        enum Item { case node(Node), close(UInt32, Int) }
        var stack: [Item] = [.node(node)]
        while let item = stack.popLast() {
            switch item {
            case .close(let index, let children):
                builder.close(index, children: children)
            case .node(.scalar(let s)):
                let (line, column) = mark(s.mark)
                var text = s.string
                text.withUTF8 { _ = builder.scalar($0, tag: builder.tagNumber(s.tag.description), style: UInt8(truncatingIfNeeded: s.style.rawValue),
                                                   line: line, column: column) }
            case .node(.mapping(let m)):
                let (line, column) = mark(m.mark)
                let index = builder.open(.mapping, tag: builder.tagNumber(m.tag.description), style: UInt8(truncatingIfNeeded: m.style.rawValue),
                                         line: line, column: column)
                stack.append(.close(index, 2 * m.count))
                for (key, value) in m.reversed() {
                    stack.append(.node(value))
                    stack.append(.node(key))
                }
            case .node(.sequence(let s)):
                let (line, column) = mark(s.mark)
                let index = builder.open(.sequence, tag: builder.tagNumber(s.tag.description), style: UInt8(truncatingIfNeeded: s.style.rawValue),
                                         line: line, column: column)
                stack.append(.close(index, s.count))
                for child in s.reversed() { stack.append(.node(child)) }
            }
        }
        self.init(document: builder.finish(), index: 0)
    }
}
