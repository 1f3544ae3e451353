import Foundation
@testable import SegmentStore
import Testing

/// Every block's bytes in `directory`, segment by segment in sequence order (sealed and open
/// segments alike): what tests comparing two writers' output byte for byte compare, so that
/// where segments roll counts too.
func blockBytesBySegment(in directory: String) throws -> [[[UInt8]]] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        .filter { $0.hasSuffix(".seg") || $0.hasSuffix(".seg.open") }.sorted()
    return try names.map { name in
        let path = directory + "/" + name
        let bytes = try #require(FileManager.default.contents(atPath: path))
        return try SegmentLayout.read(PosixFile.openForReading(path)).blocks.map {
            Array(bytes[Int($0.offset)..<Int($0.offset) + Int($0.length)])
        }
    }
}
