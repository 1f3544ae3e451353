import FlowCore

/// A strict RFC 8259 parser with limits, for input flowlog does not control (audit log lines,
/// webhook bodies, stored records).
///
/// Foundation's `JSONSerialization` loses member order and number text and reports errors
/// without a position; this one keeps both and says where (line:column) and what went wrong.
/// Recursion is bounded by `maximumDepth`, so no document can exhaust the stack.
public struct JSONParser {
    public struct Limits: Sendable {
        /// Arrays and objects nested deeper than this are rejected. Kubernetes objects nest
        /// about 15 levels; 128 leaves room without letting input choose the stack depth.
        public var maximumDepth: Int
        /// Documents longer than this are rejected before parsing.
        public var maximumBytes: Int
        public init(maximumDepth: Int = 128, maximumBytes: Int = 16 << 20) {
            self.maximumDepth = maximumDepth
            self.maximumBytes = maximumBytes
        }
    }

    /// Why a document did not parse, and where: `offset` counts bytes from the document's start,
    /// `line`/`column` (1-based) are relative to it.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var reason: String
        public var offset: Int
        public var line: Int
        public var column: Int
        public var description: String { "\(line):\(column): \(reason)" }
    }

    /// Parses one complete document (surrounding whitespace allowed).
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()) throws(Failure) -> JSONValue {
        var parser = Cursor(bytes: bytes, maximumDepth: limits.maximumDepth)
        guard bytes.count <= limits.maximumBytes else {
            throw parser.failure("document of \(bytes.count) bytes exceeds the limit of \(limits.maximumBytes) bytes", at: 0)
        }
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw parser.failure("unexpected data after the JSON value") }
        return value
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(Failure) -> JSONValue {
        let result: Result<JSONValue, Failure> = bytes.withUnsafeBytes { raw in
            do throws(Failure) { return .success(try parse(raw, limits: limits)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(Failure) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }
}

extension JSONParser {
    struct Cursor {
        let bytes: UnsafeRawBufferPointer
        let maximumDepth: Int
        var index = 0

        init(bytes: UnsafeRawBufferPointer, maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
        }

        func failure(_ reason: String, at offset: Int? = nil) -> Failure {
            let end = min(offset ?? index, bytes.count)
            var line = 1, lineStart = 0
            for position in 0..<end where bytes[position] == 0x0A {
                line += 1
                lineStart = position + 1
            }
            return Failure(reason: reason, offset: end, line: line, column: end - lineStart + 1)
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func parseValue(depth: Int) throws(Failure) -> JSONValue {
            guard index < bytes.count else { throw failure("unexpected end of input, expected a value") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
            case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try expectWord("true"); return .bool(true)
            case UInt8(ascii: "f"): try expectWord("false"); return .bool(false)
            case UInt8(ascii: "n"): try expectWord("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
            default: throw failure("unexpected character \(describe(bytes[index])), expected a value")
            }
        }

        func describe(_ byte: UInt8) -> String {
            byte >= 0x21 && byte < 0x7F ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
        }

        mutating func expectWord(_ word: StaticString) throws(Failure) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw failure("unexpected end of input in a literal") }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
                throw failure("invalid literal, expected \(word)")
            }
            index += count
        }

        mutating func parseObject(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
            index += 1
            var members: [JSONMember] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                    throw failure(index < bytes.count ? "expected a member name in quotes" : "unexpected end of input in an object")
                }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after a member name") }
                index += 1
                skipWhitespace()
                let value = try parseValue(depth: depth)
                members.append(JSONMember(key, value))
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of input in an object") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "}") else { throw failure("expected ',' or '}' in an object") }
                index += 1
                return .object(members)
            }
        }

        mutating func parseArray(depth: Int) throws(Failure) -> JSONValue {
            guard depth <= maximumDepth else { throw failure("nesting deeper than \(maximumDepth) levels") }
            index += 1
            var items: [JSONValue] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(items)
            }
            while true {
                skipWhitespace()
                items.append(try parseValue(depth: depth))
                skipWhitespace()
                guard index < bytes.count else { throw failure("unexpected end of input in an array") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                guard bytes[index] == UInt8(ascii: "]") else { throw failure("expected ',' or ']' in an array") }
                index += 1
                return .array(items)
            }
        }

        mutating func parseNumber() throws(Failure) -> String {
            let start = index
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            func digit(_ i: Int) -> Bool { i < bytes.count && bytes[i] >= 0x30 && bytes[i] <= 0x39 }
            guard digit(index) else { throw failure("invalid number") }
            if bytes[index] == 0x30 {
                index += 1
                if digit(index) { throw failure("invalid number: leading zero") }
            } else {
                while digit(index) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digit(index) else { throw failure("invalid number: no digits after '.'") }
                while digit(index) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard digit(index) else { throw failure("invalid number: no digits in the exponent") }
                while digit(index) { index += 1 }
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        }

        mutating func parseString() throws(Failure) -> String {
            let opening = index
            index += 1
            let start = index
            // Fast path: no escapes, the common case for Kubernetes objects.
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = try validatedText(start..<index)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                if byte < 0x20 { throw failure("control character \(describe(byte)) in a string") }
                index += 1
            }
            guard index < bytes.count else { throw failure("unterminated string", at: opening) }
            var scalars: [UInt8] = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    index += 1
                    return try validatedText(scalars, at: start)
                case UInt8(ascii: "\\"):
                    index += 1
                    guard index < bytes.count else { throw failure("unterminated escape") }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""): scalars.append(0x22)
                    case UInt8(ascii: "\\"): scalars.append(0x5C)
                    case UInt8(ascii: "/"): scalars.append(0x2F)
                    case UInt8(ascii: "b"): scalars.append(0x08)
                    case UInt8(ascii: "f"): scalars.append(0x0C)
                    case UInt8(ascii: "n"): scalars.append(0x0A)
                    case UInt8(ascii: "r"): scalars.append(0x0D)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "u"):
                        var value = try hex4()
                        if (0xD800..<0xDC00).contains(value) {
                            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                                throw failure("unpaired UTF-16 surrogate in \\u escape")
                            }
                            index += 2
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw failure("invalid low surrogate in \\u escape") }
                            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00..<0xE000).contains(value) {
                            throw failure("unpaired UTF-16 surrogate in \\u escape")
                        }
                        guard let scalar = Unicode.Scalar(value) else { throw failure("invalid \\u escape") }
                        scalars.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default:
                        throw failure("invalid escape \\\(Character(Unicode.Scalar(escape)))")
                    }
                default:
                    if byte < 0x20 { throw failure("control character \(describe(byte)) in a string") }
                    scalars.append(byte)
                    index += 1
                }
            }
            throw failure("unterminated string", at: opening)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard index + 4 <= bytes.count else { throw failure("unterminated \\u escape") }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let nibble: UInt8
                switch byte {
                case 0x30...0x39: nibble = byte - 0x30
                case 0x41...0x46: nibble = byte - 0x41 + 10
                case 0x61...0x66: nibble = byte - 0x61 + 10
                default: throw failure("invalid hex digit in \\u escape")
                }
                value = value << 4 | UInt32(nibble)
                index += 1
            }
            return value
        }

        func validatedText(_ range: Range<Int>) throws(Failure) -> String {
            let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
            // ASCII needs no validation, and is most of what the API server writes.
            if !slice.contains(where: { $0 >= 0x80 }) { return String(decoding: slice, as: UTF8.self) }
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw failure("invalid UTF-8 in a string", at: range.lowerBound)
            }
            return text
        }

        func validatedText(_ scalars: [UInt8], at start: Int) throws(Failure) -> String {
            guard let text = String(validating: scalars, as: UTF8.self) else {
                throw failure("invalid UTF-8 in a string", at: start)
            }
            return text
        }
    }
}
