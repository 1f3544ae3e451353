/// A record column stored as its difference from a value predicted by another column of the
/// same rows (format version 5: bytes from packets, packets in from packets out):
///
/// ```text
///   varint L (0…1024), the prediction table's length
///   L = 0: the values as a based column (`BasedColumn`), nothing predicted
///   L > 0: packed column of L values, zigzag(T[k] − T[k − 1]) (T[−1] = 0), then a based column
///          of zigzag(value − prediction) mod 2^64, the prediction T[key] for a row whose key
///          (its value in the other column) is below L, else 0
/// ```
///
/// A flow's bytes follow from its packets (times their size) far more than from the bytes of
/// the flow before it, and its packets one way from its packets the other way (TCP's
/// acknowledgements), so a per-block table of the typical value for each small key leaves a
/// residual of fewer bits. T[k] is the median of the values whose key is k (in a sample of the
/// block's rows; a key that does not occur takes T[k − 1]). Keys of 1024 and more (long
/// flows, rare) are predicted as 0. The writer keeps the plain form when it is not smaller.
enum ConditionedColumn {
    /// Keys below this have a prediction.
    static let maximumTableLength = 1024
    /// Rows the medians are taken from, at most (evenly spaced through the block).
    static let sampleSize = 4096

    /// Appends `values` predicted from `keys` (as many), or plain when that is not smaller.
    /// `scratch`, `trial` and `residuals` are reused buffers.
    static func encode(_ values: [UInt64], keys: [UInt64], into out: inout ByteSink, scratch: inout [UInt64],
                       trial: inout ByteSink, residuals: inout [UInt64]) {
        precondition(keys.count == values.count, "a key per value")
        let table = predictionTable(values, keys: keys, scratch: &scratch)
        let start = out.bytes.count
        out.varint(0)
        BasedColumn.encode(values, into: &out, scratch: &scratch)
        guard !table.isEmpty else { return }
        trial.bytes.removeAll(keepingCapacity: true)
        trial.varint(table.count)
        var previous: UInt64 = 0
        PackedColumn.encode(table.map { t in
            defer { previous = t }
            return BlockEncoder.zigzag(t &- previous)
        }, into: &trial)
        residuals.removeAll(keepingCapacity: true)
        residuals.reserveCapacity(values.count)
        for (value, key) in zip(values, keys) {
            let prediction = key < UInt64(table.count) ? table[Int(key)] : 0
            residuals.append(BlockEncoder.zigzag(value &- prediction))
        }
        BasedColumn.encode(residuals, into: &trial, scratch: &scratch)
        if trial.bytes.count < out.bytes.count - start {
            out.bytes.removeLast(out.bytes.count - start)
            out.append(trial.bytes)
        }
    }

    /// T (empty when no key is below the limit): per key below `maximumTableLength` up to the
    /// largest met, the median of a sample's values with that key.
    static func predictionTable(_ values: [UInt64], keys: [UInt64], scratch: inout [UInt64]) -> [UInt64] {
        // Key and value in one word (key above bit 54), sorted: each key's values in a run,
        // ascending. Values of 2^54 and more are left out of the sample.
        let valueBits: UInt64 = 54
        scratch.removeAll(keepingCapacity: true)
        let stride = max(1, values.count / sampleSize)
        var i = 0
        while i < values.count {
            if keys[i] < UInt64(maximumTableLength) && values[i] >> valueBits == 0 {
                scratch.append(keys[i] << valueBits | values[i])
            }
            i += stride
        }
        guard let largest = scratch.max() else { return [] }
        scratch.sort()
        var table = [UInt64](repeating: 0, count: Int(largest >> valueBits) + 1)
        var run = 0, filled = 0
        while run < scratch.count {
            let key = Int(scratch[run] >> valueBits)
            var end = run
            while end < scratch.count && Int(scratch[end] >> valueBits) == key { end += 1 }
            // Keys between the last one met and this one carry its median forward.
            while filled < key {
                table[filled] = filled == 0 ? 0 : table[filled - 1]
                filled += 1
            }
            table[key] = scratch[(run + end) / 2] & (1 << valueBits - 1)
            filled = key + 1
            run = end
        }
        return table
    }

    /// Reads `count` values written by `encode` into `values` (resized; capacity kept); `keys`
    /// holds the other column's values (at least `count`), `table` is scratch.
    static func decode(_ c: inout ByteCursor, count: Int, keys: [UInt64], into values: inout [UInt64],
                       table: inout [UInt64]) throws {
        let length = try c.index(below: maximumTableLength + 1)
        guard length > 0 else {
            try BasedColumn.decode(&c, count: count, into: &values)
            return
        }
        try PackedColumn.decode(&c, count: length, into: &table)
        var t: UInt64 = 0
        for k in 0..<length {
            t = t &+ BlockDecoder.unzigzag(table[k])
            table[k] = t
        }
        // The residuals' based column, its base added in the same pass as the prediction.
        let base = try c.varint()
        try PackedColumn.decode(&c, count: count, into: &values)
        precondition(keys.count >= count, "a key per value")
        let limit = UInt64(length)
        table.withUnsafeBufferPointer { table in
            keys.withUnsafeBufferPointer { keys in
                values.withUnsafeMutableBufferPointer { values in
                    for i in 0..<count {
                        let key = keys[i]
                        let prediction = key < limit ? table[Int(truncatingIfNeeded: key)] : 0
                        values[i] = prediction &+ BlockDecoder.unzigzag(values[i] &+ base)
                    }
                }
            }
        }
    }
}
