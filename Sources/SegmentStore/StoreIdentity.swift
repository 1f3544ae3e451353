import FlowCore

/// A store's export identity: 32 random hex digits made once and kept in `exports/store-id`,
/// so that every exporter names the same flow the same way (ClickHouse's `store_id` column,
/// the SIEM sinks' deterministic ids) even when two stores hold the same segment numbers.
public enum StoreIdentity {
    /// The identity kept at `path`, made and stored durably when the file does not exist.
    public static func loadOrCreate(_ path: String) throws -> String {
        if let bytes = try DurableFile.read(path) {
            let text = String(decoding: bytes, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            guard text.count == 32, text.allSatisfy(\.isHexDigit) else {
                throw FlowlogError(.corrupt, "store id must be 32 hex digits", location: .init(file: path, line: 1))
            }
            return text
        }
        var generator = SystemRandomNumberGenerator()
        let words = [generator.next(), generator.next()] as [UInt64]
        let id = words.map { w in let h = String(w, radix: 16); return String(repeating: "0", count: 16 - h.count) + h }.joined()
        try DurableFile.replace(path, with: Array((id + "\n").utf8))
        return id
    }

    /// Where a store keeps it.
    public static func path(storeDirectory: String) -> String { storeDirectory + "/exports/store-id" }
}
