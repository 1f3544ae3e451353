import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a stream's flat documents from parse events, whoever parses: libyaml's event parser
/// (`YAMLDocumentReader`) or the block-style scanner (`BlockYAMLScanner`). Both hand it the
/// same events with the same marks, so the documents, the duplicate-key warnings and the limit
/// errors come from one place and cannot drift apart.
///
/// Open collections are an explicit stack (no recursion, so no depth can overflow it). Lines and
/// columns are 1-based.
struct YAMLDocumentAssembly {
    /// One open collection. Plain numbers only: every scalar reads and updates the innermost
    /// frame, and a frame holding a string and a dictionary cost a retain and a release of each
    /// at every read. The rare anchor and wide mapping's key index sit on stacks of their own
    /// (`openAnchors`, `keyIndexes`), innermost last, as the frames that own them.
    struct Frame {
        var isMapping: Bool
        /// Whether this collection's anchor is the last of `openAnchors`.
        var hasAnchor: Bool
        /// Whether this mapping grew past `keyListLimit` keys: its keys then left `openKeys`
        /// for the last of `keyIndexes`.
        var hasKeyIndex = false
        /// The collection's entry.
        var index: UInt32
        /// Finished children so far (a mapping's alternate key, value, key, …).
        var children = 0
        /// Nodes in this collection so far, aliases expanded, itself included.
        var nodes = 1
        /// Where this mapping's keys start in `openKeys`.
        var firstKey: Int
    }

    /// A scalar key of an open mapping: its text's place in the document's bytes (`flat.withBytes`), its line and column.
    struct KeySeen {
        var start: Int
        var count: Int
        var line: Int
        var column: Int
    }

    /// Keys compared one by one up to this many; a dictionary beyond.
    static let keyListLimit = 16

    let file: String
    var flat = ManifestDocument.Builder()
    /// The innermost open collection (when `depth > 0`), kept out of `frames`: every scalar
    /// reads and counts itself in it, and an array element cost a uniqueness check and a bounds
    /// check at each of those.
    var top = Frame(isMapping: false, hasAnchor: false, index: 0, firstKey: 0)
    /// The open collections around `top`, outermost first.
    var frames: [Frame] = []
    /// Open collections, `top` included.
    var depth = 0
    /// The keys of every open mapping, innermost last (one array for all of them: a mapping's
    /// keys no longer cost an array of their own).
    var openKeys: [KeySeen] = []
    /// Anchors of open collections that have one, innermost last.
    var openAnchors: [String] = []
    /// Key indexes of open mappings wider than `keyListLimit`, innermost last.
    var keyIndexes: [[String: (line: Int, column: Int)]] = []
    var roots: [UInt32] = []
    var warnings: [FlowlogError] = []
    /// Yams keeps anchors for the whole stream; the expansion count is per document, as
    /// `YAMLPrecheck` counts it.
    var anchors: [String: UInt32] = [:]
    var anchorNodes: [String: Int] = [:]
    var expandedByAliases = 0
    /// Yams stops composing at an alias to no anchor, keeping the documents before it, while
    /// the limit check went on to the end: so does this, building no further document.
    var undefinedAlias: FlowlogError?
    var finishedRoot: UInt32?

    /// `text`: the text being read, when scalars lying in it as they are will be handed over
    /// by place (`scalar(at:…)`) rather than copied; the scalars copied then are the few a
    /// parser had to unescape, so no room is set aside for them.
    init(file: String, expectedBytes: Int, text: [UInt8] = []) {
        self.file = file
        flat = ManifestDocument.Builder(text: text)
        // Grown by doubling, the two arrays were copied a dozen times on the way to a large
        // file's size (a tenth of the loading time); untouched capacity costs no memory.
        if text.isEmpty { flat.bytes.reserveCapacity(expectedBytes) }
        // A block-style manifest makes about one entry per 11 bytes; too few here and the
        // array is copied once more at its largest.
        flat.entries.reserveCapacity(expectedBytes / 8 + 16)
        frames.reserveCapacity(16)
        openKeys.reserveCapacity(64)
    }

    func finishedDocuments() -> [ManifestNode] {
        guard !roots.isEmpty else { return [] }
        let document = flat.finish()
        return roots.map { ManifestNode(document: document, index: Int($0)) }
    }

    func location(line: Int, column: Int) -> FlowlogError.Location {
        .init(file: file, line: line, column: column)
    }

    /// Whether the next child of the innermost collection is a mapping key.
    var expectingKey: Bool {
        depth > 0 && top.isMapping && top.children % 2 == 0
    }

    // MARK: - Events

    /// A scalar, its bytes copied; `tag` is a number from `flat.tagNumber`.
    mutating func scalar(_ text: UnsafeBufferPointer<UInt8>, tag: UInt32, style: UInt8, line: Int, column: Int, anchor: String?) {
        let start = flat.nextStart
        let index = flat.scalar(text, tag: tag, style: style, line: line, column: column)
        scalarAdded(index, start: start, count: text.count, line: line, column: column, anchor: anchor)
    }

    /// A scalar lying as it is at `start` in the text the assembly was given (`init(text:)`).
    mutating func scalar(at start: Int, count: Int, tag: UInt32, style: UInt8, line: Int, column: Int) {
        let index = flat.scalar(at: start, count: count, tag: tag, style: style, line: line, column: column)
        scalarAdded(index, start: start, count: count, line: line, column: column, anchor: nil)
    }

    private mutating func scalarAdded(_ index: UInt32, start: Int, count: Int, line: Int, column: Int, anchor: String?) {
        if expectingKey { note(keyAt: start, count: count, line: line, column: column) }
        if let anchor {
            anchors[anchor] = index
            anchorNodes[anchor] = 1
        }
        finish(index, nodes: 1)
    }

    mutating func alias(_ name: String, line: Int, column: Int) throws {
        let index = UInt32(flat.entries.count)
        if let anchored = anchors[name] {
            flat.alias(to: anchored)
        } else {
            if undefinedAlias == nil {
                undefinedAlias = FlowlogError(.parse, "YAML/JSON syntax: found undefined alias", location: location(line: line, column: column))
            }
            // A stand-in no finished document reaches (none is finished after it).
            flat.scalar(UnsafeBufferPointer(start: nil, count: 0), tag: 0, style: 0, line: 0, column: 0)
        }
        let nodes = anchorNodes[name] ?? 1
        expandedByAliases &+= nodes
        guard expandedByAliases <= YAMLPrecheck.maximumAliasExpansion else {
            throw FlowlogError(.parse, "aliases expand to more than \(YAMLPrecheck.maximumAliasExpansion) nodes",
                               location: location(line: line, column: column))
        }
        finish(index, nodes: nodes)
    }

    /// Opens a mapping or a sequence; throws when it would nest deeper than the limit.
    mutating func open(mapping isMapping: Bool, tag: UInt32, style: UInt8, line: Int, column: Int, anchor: String?) throws {
        guard depth < YAMLPrecheck.maximumDepth else {
            throw FlowlogError(.parse, "nested more than \(YAMLPrecheck.maximumDepth) levels deep", location: location(line: line, column: column))
        }
        let index = flat.open(isMapping ? .mapping : .sequence, tag: tag, style: style, line: line, column: column)
        if let anchor { openAnchors.append(anchor) }
        if depth > 0 { frames.append(top) }
        top = Frame(isMapping: isMapping, hasAnchor: anchor != nil, index: index, firstKey: openKeys.count)
        depth += 1
    }

    /// Closes the innermost open collection.
    mutating func close() {
        guard depth > 0 else { return }
        let frame = top
        depth -= 1
        if depth > 0 { top = frames.removeLast() }
        openKeys.removeSubrange(frame.firstKey...)
        if frame.hasKeyIndex { keyIndexes.removeLast() }
        // A mapping's children come in pairs (libyaml emits a value for every key).
        flat.close(frame.index, children: frame.isMapping ? frame.children & ~1 : frame.children)
        if frame.hasAnchor {
            let anchor = openAnchors.removeLast()
            anchors[anchor] = frame.index
            anchorNodes[anchor] = frame.nodes
        }
        finish(frame.index, nodes: frame.nodes)
    }

    mutating func startDocument() {
        anchorNodes.removeAll(keepingCapacity: true)
    }

    mutating func endDocument() {
        if let root = finishedRoot { roots.append(root) }
        finishedRoot = nil
    }

    // MARK: - Keys and counts

    /// A scalar key of the innermost mapping (its text at `start` in the document's bytes), checked
    /// against the keys before it. Keys are compared as bytes; a `String` is made only for
    /// a wide mapping's index or a warning.
    private mutating func note(keyAt start: Int, count: Int, line: Int, column: Int) {
        var first: (line: Int, column: Int)?
        if top.hasKeyIndex {
            let key = keyText(start, count)
            first = keyIndexes[keyIndexes.count - 1][key]
            if first == nil { keyIndexes[keyIndexes.count - 1][key] = (line, column) }
        } else if let found = openKeys[top.firstKey...].first(where: { sameBytes($0.start, $0.count, start, count) }) {
            first = (found.line, found.column)
        } else if openKeys.count - top.firstKey < Self.keyListLimit {
            openKeys.append(KeySeen(start: start, count: count, line: line, column: column))
        } else {
            var index: [String: (line: Int, column: Int)] = [:]
            for entry in openKeys[top.firstKey...] {
                let key = keyText(entry.start, entry.count)
                if index[key] == nil { index[key] = (entry.line, entry.column) }
            }
            index[keyText(start, count)] = (line, column)
            keyIndexes.append(index)
            top.hasKeyIndex = true
            openKeys.removeSubrange(top.firstKey...)
        }
        if let first {
            warnings.append(FlowlogError(
                .validation, "duplicate key '\(keyText(start, count))' (first at line \(first.line), column \(first.column)); the last one is used",
                location: location(line: line, column: column)))
        }
    }

    private func keyText(_ start: Int, _ count: Int) -> String {
        flat.withBytes(at: start, count: count) { String(decoding: $0, as: UTF8.self) }
    }

    private func sameBytes(_ a: Int, _ aCount: Int, _ b: Int, _ bCount: Int) -> Bool {
        guard aCount == bCount else { return false }
        guard aCount > 0 else { return true }
        return flat.withBytes(at: a, count: aCount) { first in
            flat.withBytes(at: b, count: bCount) { memcmp(first.baseAddress!, $0.baseAddress!, aCount) == 0 }
        }
    }

    /// Counts a finished node (of `nodes` nodes, aliases expanded) in its parent, or ends a document.
    private mutating func finish(_ index: UInt32, nodes: Int) {
        if depth == 0 {
            // Complete once its end parses (Yams' composer reads that event before returning it).
            if undefinedAlias == nil { finishedRoot = index }
        } else {
            top.children += 1
            top.nodes &+= nodes
        }
    }
}
