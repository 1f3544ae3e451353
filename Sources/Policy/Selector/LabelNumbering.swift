/// Label keys, values and whole label maps numbered once per engine, so selectors can be
/// evaluated as integer comparisons (`NumberedSelectors`) instead of dictionary lookups that hash
/// and compare strings.
///
/// Keys are numbered by `String` equality, as a `[String: String]` label map looks them up; values
/// by their UTF-8 bytes, as Calico compares them (`==`, `!=`, `contains`, `starts with`, `ends
/// with`). `in` / `not in` compare values as a `Set<String>` does (Unicode canonical
/// equivalence), so `valuesByText` groups byte-distinct values a `String` comparison holds equal.
struct LabelNumbering {
    /// A value's UTF-8 bytes as a dictionary key: `String` keys would merge canonically
    /// equivalent values that Calico's byte comparison tells apart.
    struct Bytes: Hashable {
        let utf8: [UInt8]
    }

    private(set) var keyNumbers: [String: Int32] = [:]
    private(set) var valueNumbers: [Bytes: Int32] = [:]
    /// `valueNumbers` of the ASCII values, by text.
    private var asciiValueNumbers: [String: Int32] = [:]
    /// Every value by number.
    private(set) var values: [String] = []
    /// Value numbers by `String` equality (mostly one number per text).
    private(set) var valuesByText: [String: [Int32]] = [:]
    /// Every numbered label map: `pairs[start[m] ..< start[m + 1]]`, each pair
    /// `key << 32 | value`, sorted by key.
    private(set) var pairs: [UInt64] = []
    private(set) var start: [Int32] = [0]
    /// Label maps by their numbered pairs, so equal maps share a number. Not by the map itself:
    /// `[String: String]` equality would merge maps whose values differ only in bytes.
    private var mapNumbers: [[UInt64]: Int32] = [:]

    var mapCount: Int { start.count - 1 }

    /// The number of a label map, numbering it (and its keys and values) on first sight.
    mutating func number(_ labels: [String: String]) -> Int32 { number(row: row(labels)) }

    /// A label map's numbered pairs (`key << 32 | value`), sorted by key: what `number(row:)`
    /// takes, and what `overriding` lays one map over another with.
    mutating func row(_ labels: [String: String]) -> [UInt64] {
        var row: [UInt64] = []
        row.reserveCapacity(labels.count)
        for (key, value) in labels { row.append(pair(key, value)) }
        row.sort()
        return row
    }

    /// One label as a row's pair, numbering its key and value on first sight.
    mutating func pair(_ key: String, _ value: String) -> UInt64 {
        UInt64(UInt32(keyNumber(key))) << 32 | UInt64(UInt32(valueNumber(value)))
    }

    /// The number of the label map whose pairs `row` holds (sorted by key, one pair per key).
    mutating func number(row: [UInt64]) -> Int32 {
        if let known = mapNumbers[row] { return known }
        pairs.append(contentsOf: row)
        start.append(Int32(pairs.count))
        let number = Int32(mapCount - 1)
        mapNumbers[row] = number
        return number
    }

    /// The row of `base` with every label of `top` set over it (a key in both takes `top`'s
    /// value), as `[String: String]` assignment of `top`'s labels into `base` would give.
    static func overriding(_ base: [UInt64], with top: [UInt64]) -> [UInt64] {
        var merged: [UInt64] = []
        merged.reserveCapacity(base.count + top.count)
        var b = 0, t = 0
        while b < base.count, t < top.count {
            let baseKey = base[b] >> 32, topKey = top[t] >> 32
            if baseKey < topKey {
                merged.append(base[b])
                b += 1
            } else {
                merged.append(top[t])
                if baseKey == topKey { b += 1 }
                t += 1
            }
        }
        merged.append(contentsOf: base[b...])
        merged.append(contentsOf: top[t...])
        return merged
    }

    private mutating func keyNumber(_ key: String) -> Int32 {
        if let known = keyNumbers[key] { return known }
        let number = Int32(keyNumbers.count)
        keyNumbers[key] = number
        return number
    }

    private mutating func valueNumber(_ value: String) -> Int32 {
        // An ASCII text equals another `String` exactly when their bytes are equal, so its
        // number is found by the text, without an array of its bytes to hash.
        var text = value
        let isASCII = text.withUTF8 { bytes in bytes.allSatisfy { $0 < 0x80 } }
        if isASCII, let known = asciiValueNumbers[value] { return known }
        let bytes = Bytes(utf8: Array(value.utf8))
        if let known = valueNumbers[bytes] {
            if isASCII { asciiValueNumbers[value] = known }
            return known
        }
        let number = Int32(values.count)
        valueNumbers[bytes] = number
        if isASCII { asciiValueNumbers[value] = number }
        values.append(value)
        valuesByText[value, default: []].append(number)
        return number
    }

    /// The key's number, -1 when no numbered map has it.
    func key(_ key: String) -> Int32 { keyNumbers[key] ?? -1 }

    /// The number of the value with exactly these bytes, -1 when no numbered map has it.
    func value(_ value: String) -> Int32 { valueNumbers[Bytes(utf8: Array(value.utf8))] ?? -1 }

    /// The value map `map` has at `key`, -1 when it has none.
    @inline(__always)
    func value(in map: Int, key: Int32) -> Int32 {
        pairs.withUnsafeBufferPointer { pairs in
            var i = Int(start[map]), end = Int(start[map + 1])
            // Label maps hold a dozen pairs or so: a binary search, then a short scan.
            let wanted = UInt64(UInt32(bitPattern: key))
            while end - i > 8 {
                let middle = (i + end) / 2
                if pairs[middle] >> 32 < wanted { i = middle + 1 } else { end = middle + 1 }
            }
            while i < end {
                let k = pairs[i] >> 32
                if k == wanted { return Int32(truncatingIfNeeded: pairs[i] & 0xFFFF_FFFF) }
                if k > wanted { return -1 }
                i += 1
            }
            return -1
        }
    }
}
