import FlowCore

/// Calico's deterministic report id, `<name>_<type>_<UUIDv5(URL namespace, "name::start::end")>`
/// with both times in RFC 3339 at whole seconds: the same report over the same interval always
/// gets the same id, so a re-run replaces rather than duplicates, and the name is readable in it.
public enum ReportID {
    /// RFC 9562's URL namespace, which Calico's archiver uses.
    static let urlNamespace: [UInt8] = [0x6B, 0xA7, 0xB8, 0x11, 0x9D, 0xAD, 0x11, 0xD1,
                                        0x80, 0xB4, 0x00, 0xC0, 0x4F, 0xD4, 0x30, 0xC8]

    public static func make(name: String, type: ReportType, start: Timestamp, end: Timestamp) -> String {
        "\(name)_\(type.rawValue)_\(uuid5(name: "\(name)::\(start.wholeSecondsRFC3339)::\(end.wholeSecondsRFC3339)"))"
    }

    /// A version-5 (SHA-1, name-based) UUID in the URL namespace, lower-case hex with dashes.
    public static func uuid5(name: String) -> String {
        var bytes = Array(SHA1.digest(urlNamespace + Array(name.utf8)).prefix(16))
        bytes[6] = bytes[6] & 0x0F | 0x50
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { b in String(b >> 4, radix: 16) + String(b & 0x0F, radix: 16) }
        return [hex[0..<4], hex[4..<6], hex[6..<8], hex[8..<10], hex[10..<16]].map { $0.joined() }.joined(separator: "-")
    }
}

extension Timestamp {
    /// RFC 3339 at whole seconds in UTC (`2026-11-23T07:00:00Z`), as Calico's CSVs and ids write times.
    public var wholeSecondsRFC3339: String { String(rfc3339.prefix(19)) + "Z" }
}
