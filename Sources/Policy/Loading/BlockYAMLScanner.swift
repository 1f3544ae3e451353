#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads the block-style YAML that `kubectl get -o yaml` and generated manifests are written in
/// straight into a `YAMLDocumentAssembly`, with the events and marks libyaml's parser gives for
/// the same text; or reports that the text leaves that subset, and then reads nothing that counts
/// (the caller starts over with libyaml, which also words every error).
///
/// libyaml decodes every byte through its reader, keeps a token queue with simple-key
/// bookkeeping and copies every scalar into a fresh allocation; on a large cluster's pod file
/// that was half the loading time. Manifests mostly use a small part of YAML, and this reads
/// that part line by line, handing scalars over where they lie in the text.
///
/// The subset (anything else gives the text back to libyaml, which gives the same documents or
/// a located error):
/// - printable ASCII and line feeds only (no tab, carriage return, BOM or other byte);
/// - documents separated by lines that are exactly `---` (trailing spaces allowed); no `...`,
///   no directives; a document's root is a block mapping or a block sequence at column 1, or
///   nothing (after `---`);
/// - block mappings of single-line keys (`key:` followed by a space or the line's end) and
///   block sequences (`- `), nested by indentation, including sequences at their key's column
///   (`containers:` over `- name: …`) and mappings that start on a dash's line (`- name: …`);
/// - values that end on their line: plain scalars, single-quoted ones (`''` inside), double-quoted
///   ones without a backslash, and the empty flow collections `{}` and `[]`;
/// - comments on lines of their own and after values;
/// - no anchors, aliases, tags, block scalars (`|`, `>`), complex keys (`?`), other flow
///   collections, values continued on the next line, or keys longer than libyaml's 1,024 bytes.
///
/// Lines and columns are counted as libyaml counts them (in characters, which ASCII makes bytes).
enum BlockYAMLScanner {
    /// Reads all of the text `assembly` was made with (`YAMLDocumentAssembly(…, text:)`) into
    /// it, or returns false (with `assembly` half built: discard it). Scalars are handed over by
    /// their place in that text; only those with `''` inside are copied, unescaped.
    static func read(into assembly: inout YAMLDocumentAssembly) -> Bool {
        let bytes = assembly.flat.text
        return bytes.withUnsafeBufferPointer { text in
            guard isPrintableASCII(text) else { return false }
            var scanner = Scanner(text: text)
            do {
                return try scanner.run(&assembly)
            } catch {
                // A limit (nesting depth): libyaml's pass reports it with its own location.
                return false
            }
        }
    }

    static func isPrintableASCII(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var bad: UInt8 = 0
        for byte in text {
            // Below a space (other than a line feed) or above `~`.
            bad |= (byte &- 0x20 > 0x5E ? 1 : 0) & (byte == 0x0A ? 0 : 1)
        }
        return bad == 0
    }

    /// One open block collection.
    private struct Open {
        /// 0-based column of its keys or dashes.
        var column: Int
        var isMapping: Bool
        /// A sequence at its key's column (libyaml's indentless sequence): a key at that column
        /// ends it rather than being an error.
        var isIndentless: Bool
    }

    /// A scalar found on a line.
    private struct Found {
        /// Its text in the input (quotes excluded).
        var start: Int
        var end: Int
        /// libyaml's scalar style: 1 plain, 2 single-quoted, 3 double-quoted.
        var style: UInt8
        /// Single-quoted with `''` inside: the text needs unescaping.
        var hasEscapes: Bool
        /// Followed by `:` and a space or the line's end: a key; `next` is the colon.
        var isKey: Bool
        /// After the scalar: the colon of a key, or where spaces, a comment or the line's end begin.
        var next: Int
    }

    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")
    private static let dash = UInt8(ascii: "-")
    private static let hash = UInt8(ascii: "#")
    private static let singleQuote = UInt8(ascii: "'")
    private static let doubleQuote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")
    private static let newline = UInt8(ascii: "\n")
    /// How many of the 8 bytes at `p` come before the first that is `a` or `b` (8: none is).
    /// A scalar's bytes are mostly neither a colon nor a space (nor a quote): looking at eight
    /// at once, with the exact per-byte zero test (no carry crosses a byte), instead of one
    /// at a time.
    @inline(__always)
    static func leadingBytes(notEqualTo a: UInt8, or b: UInt8, at p: UnsafePointer<UInt8>) -> Int {
        let word = UInt64(littleEndian: UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
        let ones: UInt64 = 0x0101_0101_0101_0101
        let special = zeroBytes(word ^ (ones &* UInt64(a))) | zeroBytes(word ^ (ones &* UInt64(b)))
        return special.trailingZeroBitCount >> 3
    }

    /// 0x80 in each byte of `y` that is zero, 0 in every other byte.
    @inline(__always)
    static func zeroBytes(_ y: UInt64) -> UInt64 {
        let low7: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((y & low7) &+ low7) | y | low7)
    }

    /// libyaml's limit on a simple key's length.
    private static let maximumKeyBytes = 1024

    private struct Scanner {
        let text: UnsafeBufferPointer<UInt8>
        var open: [Open] = []
        /// 0-based line number and where that line starts.
        var line = 0
        var lineStart = 0
        var lineEnd = 0
        var inDocument = false
        var explicitDocument = false
        var rootStarted = false
        /// A key or dash whose value did not follow on its line: the mark (1-based) of the
        /// empty value libyaml gives it when nothing deeper follows either.
        var pendingLine = 0
        var pendingColumn = 0
        var pendingInMapping = false
        var hasPending = false
        /// After a value that ended its line, a deeper line is a continuation (or an error) to
        /// libyaml: the column no next line may go past.
        var valueEndedAt: Int?
        var stringTag: UInt32?
        var unescaped: [UInt8] = []

        init(text: UnsafeBufferPointer<UInt8>) {
            self.text = text
            open.reserveCapacity(16)
        }

        mutating func run(_ assembly: inout YAMLDocumentAssembly) throws -> Bool {
            let count = text.count
            var position = 0
            while position < count {
                lineStart = position
                lineEnd = lineEnd(from: position)
                defer {
                    position = lineEnd + 1
                    line += 1
                }
                var first = lineStart
                while first < lineEnd, text[first] == space { first += 1 }
                // Blank lines and comments are whitespace to libyaml, wherever they stand.
                if first == lineEnd || text[first] == hash { continue }
                if first == lineStart {
                    switch documentIndicator() {
                    case .start:
                        if inDocument { try endDocument(&assembly, emptyLine: line + 1) }
                        assembly.startDocument()
                        inDocument = true
                        explicitDocument = true
                        rootStarted = false
                        continue
                    case .other:
                        return false
                    case .none:
                        break
                    }
                }
                guard try content(at: first, &assembly) else { return false }
            }
            if inDocument {
                // libyaml's stream end stands at the start of the line after the last one;
                // every line the loop read (the last one with or without its line feed) counted.
                try endDocument(&assembly, emptyLine: line + 1)
            }
            return true
        }

        /// Where the line starting at `start` ends: its line feed, or the end of the text.
        /// `memchr` looks at many bytes a step; a byte at a time was a fifth of the scan.
        func lineEnd(from start: Int) -> Int {
            let rest = text.count - start
            guard rest > 0, let base = text.baseAddress,
                  let found = memchr(base + start, Int32(newline), rest) else { return text.count }
            return UnsafeRawPointer(found).assumingMemoryBound(to: UInt8.self) - base
        }

        enum Indicator { case none, start, other }

        /// A line at column 1 that is `---` (a document start), or `...`, `---` with more on the
        /// line, or a directive: left to libyaml.
        func documentIndicator() -> Indicator {
            let c = text[lineStart]
            if c == UInt8(ascii: "%") { return .other }
            guard c == dash || c == UInt8(ascii: "."), lineEnd - lineStart >= 3,
                  text[lineStart + 1] == c, text[lineStart + 2] == c else { return .none }
            guard c == dash else { return .other }
            for i in (lineStart + 3)..<lineEnd where text[i] != space { return .other }
            return .start
        }

        /// Closes the document: a value still pending is empty, open collections close, and
        /// an explicit document with nothing in it holds an empty scalar at the next token
        /// (`emptyLine`, column 1).
        mutating func endDocument(_ assembly: inout YAMLDocumentAssembly, emptyLine: Int) throws {
            emitPendingEmpty(&assembly)
            while !open.isEmpty {
                open.removeLast()
                assembly.close()
            }
            if !rootStarted, explicitDocument {
                assembly.scalar(UnsafeBufferPointer(start: nil, count: 0), tag: 0, style: 1, line: emptyLine, column: 1, anchor: nil)
            }
            assembly.endDocument()
            valueEndedAt = nil
            inDocument = false
        }

        mutating func emitPendingEmpty(_ assembly: inout YAMLDocumentAssembly) {
            guard hasPending else { return }
            hasPending = false
            assembly.scalar(UnsafeBufferPointer(start: nil, count: 0), tag: 0, style: 1, line: pendingLine, column: pendingColumn, anchor: nil)
        }

        func isDash(_ at: Int) -> Bool {
            text[at] == dash && (at + 1 == lineEnd || text[at + 1] == space)
        }

        func column(_ at: Int) -> Int { at - lineStart }

        /// A line whose first non-space byte is at `first`.
        mutating func content(at first: Int, _ assembly: inout YAMLDocumentAssembly) throws -> Bool {
            let indent = column(first)
            if let limit = valueEndedAt {
                guard indent <= limit else { return false }
                valueEndedAt = nil
            }
            if !inDocument {
                assembly.startDocument()
                inDocument = true
                explicitDocument = false
                rootStarted = false
            }
            if !rootStarted {
                guard indent == 0 else { return false }
                rootStarted = true
                return try startCollection(at: first, indentless: false, &assembly)
            }
            guard let parent = open.last else { return false }
            if hasPending {
                if indent > parent.column {
                    hasPending = false
                    return try startCollection(at: first, indentless: false, &assembly)
                }
                if indent == parent.column, pendingInMapping, isDash(first) {
                    hasPending = false
                    return try startCollection(at: first, indentless: true, &assembly)
                }
                emitPendingEmpty(&assembly)
            }
            while let last = open.last, last.column > indent {
                open.removeLast()
                assembly.close()
            }
            guard var top = open.last, top.column == indent else { return false }
            if !top.isMapping {
                if isDash(first) { return try item(at: first, &assembly) }
                guard top.isIndentless else { return false }
                open.removeLast()
                assembly.close()
                guard let mapping = open.last, mapping.isMapping, mapping.column == indent else { return false }
                top = mapping
            }
            guard !isDash(first) else { return false }
            return try keyAndValue(at: first, &assembly)
        }

        /// The first line of a block collection whose keys or dashes stand at `first`'s column.
        mutating func startCollection(at first: Int, indentless: Bool, _ assembly: inout YAMLDocumentAssembly) throws -> Bool {
            let isMapping = !isDash(first)
            try assembly.open(mapping: isMapping, tag: 0, style: 1, line: line + 1, column: column(first) + 1, anchor: nil)
            open.append(Open(column: column(first), isMapping: isMapping, isIndentless: indentless))
            return isMapping ? try keyAndValue(at: first, &assembly) : try item(at: first, &assembly)
        }

        /// `key:` and what follows it on the line.
        mutating func keyAndValue(at start: Int, _ assembly: inout YAMLDocumentAssembly) throws -> Bool {
            guard let key = scalar(at: start), key.isKey, key.next - start <= maximumKeyBytes else { return false }
            emit(key, at: start, &assembly)
            var at = key.next + 1
            while at < lineEnd, text[at] == space { at += 1 }
            if at == lineEnd || text[at] == hash {
                // libyaml's empty value stands just after the colon.
                pend(line: line + 1, column: column(key.next) + 2, inMapping: true)
                return true
            }
            return try value(at: at, &assembly)
        }

        /// A dash and what follows it on the line: a value, the first key of a mapping, or nothing.
        mutating func item(at dashAt: Int, _ assembly: inout YAMLDocumentAssembly) throws -> Bool {
            var at = dashAt + 1
            while at < lineEnd, text[at] == space { at += 1 }
            if at == lineEnd || text[at] == hash {
                pend(line: line + 1, column: column(dashAt) + 2, inMapping: false)
                return true
            }
            if isDash(at) { return false }
            if let found = scalar(at: at), found.isKey {
                try assembly.open(mapping: true, tag: 0, style: 1, line: line + 1, column: column(at) + 1, anchor: nil)
                open.append(Open(column: column(at), isMapping: true, isIndentless: false))
                return try keyAndValue(at: at, &assembly)
            }
            return try value(at: at, &assembly)
        }

        mutating func pend(line: Int, column: Int, inMapping: Bool) {
            hasPending = true
            pendingLine = line
            pendingColumn = column
            pendingInMapping = inMapping
        }

        /// A value that ends on this line, at `start`.
        mutating func value(at start: Int, _ assembly: inout YAMLDocumentAssembly) throws -> Bool {
            let c = text[start]
            if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                guard start + 1 < lineEnd, text[start + 1] == (c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")),
                      endsLine(from: start + 2, afterPlain: false) else { return false }
                try assembly.open(mapping: c == UInt8(ascii: "{"), tag: 0, style: 2, line: line + 1, column: column(start) + 1, anchor: nil)
                assembly.close()
            } else {
                guard let found = scalar(at: start), !found.isKey else { return false }
                emit(found, at: start, &assembly)
            }
            valueEndedAt = open.last?.column
            return true
        }

        /// Whether only spaces, then the line's end or a comment, follow `at`. A comment after
        /// a plain scalar needs a space before it (or it is part of the scalar); after a quote
        /// or a bracket it does not.
        func endsLine(from at: Int, afterPlain: Bool) -> Bool {
            var i = at
            while i < lineEnd, text[i] == space { i += 1 }
            return i == lineEnd || (text[i] == hash && (i > at || !afterPlain))
        }

        mutating func emit(_ found: Found, at start: Int, _ assembly: inout YAMLDocumentAssembly) {
            // Documents number tags by first use: the quoted scalars' tag takes its number when
            // the first one is met, as with libyaml's events.
            let tag: UInt32
            if found.style == 1 {
                tag = 0
            } else if let known = stringTag {
                tag = known
            } else {
                tag = assembly.flat.tagNumber(YAMLDocumentReader.stringTag)
                stringTag = tag
            }
            if found.hasEscapes {
                unescaped.removeAll(keepingCapacity: true)
                var i = found.start
                while i < found.end {
                    unescaped.append(text[i])
                    i += text[i] == singleQuote ? 2 : 1
                }
                unescaped.withUnsafeBufferPointer {
                    assembly.scalar($0, tag: tag, style: found.style, line: line + 1, column: column(start) + 1, anchor: nil)
                }
            } else {
                assembly.scalar(at: found.start, count: found.end - found.start, tag: tag, style: found.style,
                                line: line + 1, column: column(start) + 1)
            }
        }

        /// The scalar at `start` (plain or quoted), if it is one this scanner reads.
        func scalar(at start: Int) -> Found? {
            let c = text[start]
            if c == singleQuote || c == doubleQuote {
                var i = start + 1
                var hasEscapes = false
                while true {
                    if i + 8 <= lineEnd {
                        let ordinary = BlockYAMLScanner.leadingBytes(notEqualTo: c, or: backslash, at: text.baseAddress! + i)
                        if ordinary > 0 {
                            i += ordinary
                            continue
                        }
                    }
                    guard i < lineEnd else { return nil }  // continues on the next line
                    let b = text[i]
                    if b == c {
                        if c == singleQuote, i + 1 < lineEnd, text[i + 1] == singleQuote {
                            hasEscapes = true
                            i += 2
                            continue
                        }
                        break
                    }
                    if b == backslash, c == doubleQuote { return nil }
                    i += 1
                }
                let after = i + 1
                if after < lineEnd, text[after] == colon, after + 1 == lineEnd || text[after + 1] == space {
                    return Found(start: start + 1, end: i, style: c == singleQuote ? 2 : 3, hasEscapes: hasEscapes, isKey: true, next: after)
                }
                guard endsLine(from: after, afterPlain: false) else { return nil }
                return Found(start: start + 1, end: i, style: c == singleQuote ? 2 : 3, hasEscapes: hasEscapes, isKey: false, next: after)
            }
            guard startsPlain(at: start) else { return nil }
            var i = start
            var end = start
            while i < lineEnd {
                if i + 8 <= lineEnd {
                    let ordinary = BlockYAMLScanner.leadingBytes(notEqualTo: colon, or: space, at: text.baseAddress! + i)
                    if ordinary > 0 {
                        i += ordinary
                        end = i
                        continue
                    }
                }
                let b = text[i]
                if b == colon, i + 1 == lineEnd || text[i + 1] == space {
                    return Found(start: start, end: end, style: 1, hasEscapes: false, isKey: true, next: i)
                }
                if b == space {
                    var j = i
                    while j < lineEnd, text[j] == space { j += 1 }
                    if j == lineEnd || text[j] == hash {
                        return Found(start: start, end: end, style: 1, hasEscapes: false, isKey: false, next: j)
                    }
                    i = j
                    continue
                }
                i += 1
                end = i
            }
            return Found(start: start, end: end, style: 1, hasEscapes: false, isKey: false, next: lineEnd)
        }

        /// libyaml's rule for a plain scalar's first character in block context: not an
        /// indicator, except `-`, `?` and `:` followed by something other than a space.
        func startsPlain(at start: Int) -> Bool {
            switch text[start] {
            case UInt8(ascii: "-"), UInt8(ascii: "?"), UInt8(ascii: ":"):
                return start + 1 < lineEnd && text[start + 1] != space
            case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "#"),
                 UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"), UInt8(ascii: "|"), UInt8(ascii: ">"), UInt8(ascii: "'"),
                 UInt8(ascii: "\""), UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
                return false
            default:
                return true
            }
        }
    }
}
