import FlowCore

/// A classic pcap file (microsecond timestamps, Ethernet, host byte order as libpcap writes
/// it) streamed record by record, so a capture of any size needs only the write buffer.
struct PcapStream {
    private let file: BufferedFile
    private(set) var packets: UInt64 = 0
    private(set) var wireBytes: UInt64 = 0

    init(path: String, snaplen: UInt32 = 262_144) throws {
        file = try BufferedFile(path: path)
        let header = try file.reserve(24)
        header.storeBytes(of: UInt32(0xA1B2_C3D4).littleEndian, toByteOffset: 0, as: UInt32.self)
        header.storeBytes(of: UInt16(2).littleEndian, toByteOffset: 4, as: UInt16.self)
        header.storeBytes(of: UInt16(4).littleEndian, toByteOffset: 6, as: UInt16.self)
        header.storeBytes(of: UInt32(0), toByteOffset: 8, as: UInt32.self)   // thiszone
        header.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)  // sigfigs
        header.storeBytes(of: snaplen.littleEndian, toByteOffset: 16, as: UInt32.self)
        header.storeBytes(of: UInt32(1).littleEndian, toByteOffset: 20, as: UInt32.self)
        file.commit(24)
    }

    /// Appends the first `length` bytes of `frame`, stamped `nanoseconds` after the epoch.
    @inline(__always)
    mutating func append(_ frame: UnsafeRawPointer, length: Int, nanoseconds: UInt64) throws {
        let record = try file.reserve(16 + length)
        record.storeBytes(of: UInt32(truncatingIfNeeded: nanoseconds / 1_000_000_000).littleEndian, toByteOffset: 0, as: UInt32.self)
        record.storeBytes(of: UInt32(truncatingIfNeeded: nanoseconds % 1_000_000_000 / 1000).littleEndian, toByteOffset: 4, as: UInt32.self)
        record.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 8, as: UInt32.self)
        record.storeBytes(of: UInt32(length).littleEndian, toByteOffset: 12, as: UInt32.self)
        (record + 16).copyMemory(from: frame, byteCount: length)
        file.commit(16 + length)
        packets += 1
        wireBytes += UInt64(length)
    }

    func close() throws { try file.close() }

    var fileBytes: UInt64 { 24 + 16 * packets + wireBytes }
}
