import FlowCore

/// Writes pcapng files (little-endian): one section, any number of interfaces each with its
/// own link type and timestamp resolution, and enhanced packet blocks.
public struct PcapngWriter {
    public private(set) var bytes: [UInt8] = []
    /// Timestamp units per second of each interface, in the order they were added.
    private var unitsPerSecond: [UInt64] = []

    public init() {
        // Section header block: type, length, byte-order magic, version 1.0, section length -1.
        var body: [UInt8] = []
        body += le32(0x1A2B_3C4D) + le16(1) + le16(0) + le64(UInt64.max)
        appendBlock(type: 0x0A0D_0D0A, body: body)
    }

    /// Adds an interface description block and returns its interface id. With `nanoseconds`
    /// the interface carries an `if_tsresol` option of 9 (10⁻⁹ s units); otherwise the default
    /// microseconds apply.
    @discardableResult
    public mutating func addInterface(linkType: UInt32, snaplen: UInt32 = 262_144, nanoseconds: Bool = false,
                                      name: String? = nil) -> UInt32 {
        var body = le16(UInt16(linkType)) + le16(0) + le32(snaplen)
        if let name {
            body += option(code: 2, Array(name.utf8))  // if_name
        }
        if nanoseconds {
            body += option(code: 9, [9])  // if_tsresol
        }
        if name != nil || nanoseconds { body += le16(0) + le16(0) }  // opt_endofopt
        appendBlock(type: 1, body: body)
        unitsPerSecond.append(nanoseconds ? 1_000_000_000 : 1_000_000)
        return UInt32(unitsPerSecond.count - 1)
    }

    /// Adds an interface whose `if_tsresol` option is `resolution` as written (10^-n seconds,
    /// or 2^-n with the top bit set): for files that test odd or hostile resolutions.
    @discardableResult
    public mutating func addInterface(linkType: UInt32, timestampResolution resolution: UInt8) -> UInt32 {
        var body = le16(UInt16(linkType)) + le16(0) + le32(262_144)
        body += option(code: 9, [resolution]) + le16(0) + le16(0)
        appendBlock(type: 1, body: body)
        var units: UInt64 = 1
        if resolution & 0x80 == 0 {
            for _ in 0..<min(Int(resolution), 19) { units &*= 10 }
        } else {
            units = 1 << UInt64(min(Int(resolution & 0x7F), 63))
        }
        unitsPerSecond.append(units)
        return UInt32(unitsPerSecond.count - 1)
    }

    /// Adds an enhanced packet block with the timestamp given as its raw 64-bit count of the
    /// interface's units (high and low words as stored).
    public mutating func append(_ frame: [UInt8], interface: UInt32, rawTimestamp: UInt64) {
        var body = le32(interface) + le32(UInt32(rawTimestamp >> 32)) + le32(UInt32(rawTimestamp & 0xFFFF_FFFF))
        body += le32(UInt32(frame.count)) + le32(UInt32(frame.count)) + frame
        while body.count % 4 != 0 { body.append(0) }
        appendBlock(type: 6, body: body)
    }

    /// Adds an enhanced packet block on `interface`.
    public mutating func append(_ frame: [UInt8], interface: UInt32, at time: Timestamp,
                                capturedLength: Int? = nil, wireLength: Int? = nil) {
        let units = unitsPerSecond[Int(interface)]
        let stamp = time.nanoseconds / (1_000_000_000 / units)
        let caplen = min(capturedLength ?? frame.count, frame.count)
        var body = le32(interface) + le32(UInt32(stamp >> 32)) + le32(UInt32(stamp & 0xFFFF_FFFF))
        body += le32(UInt32(caplen)) + le32(UInt32(wireLength ?? frame.count))
        body += frame[0..<caplen]
        while body.count % 4 != 0 { body.append(0) }
        appendBlock(type: 6, body: body)
    }

    public func write(to path: String) throws {
        try writeFile(path, bytes)
    }

    private mutating func appendBlock(type: UInt32, body: [UInt8]) {
        let length = UInt32(12 + body.count)
        bytes += le32(type) + le32(length) + body + le32(length)
    }

    private func option(code: UInt16, _ value: [UInt8]) -> [UInt8] {
        var out = le16(code) + le16(UInt16(value.count)) + value
        while out.count % 4 != 0 { out.append(0) }
        return out
    }

    private func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    private func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }
}
