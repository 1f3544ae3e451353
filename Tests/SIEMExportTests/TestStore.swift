import Foundation
import FlowCore
import FlowTestSupport
import Query
import SegmentStore

/// Stores of synthetic flows in temporary directories, and what a query prints for them.
enum TestStore {
    static func temporaryDirectory(_ name: String) -> String {
        var g = SystemRandomNumberGenerator()
        return NSTemporaryDirectory() + "flowlog-siem-test-\(getpid())-\(g.next() % 1_000_000_000)-\(name)"
    }

    /// Writes `count` synthetic flows in blocks of `blockRecords` into a new store.
    @discardableResult
    static func write(_ directory: String, count: Int, seed: UInt64 = 7, blockRecords: Int = 500) throws -> [AnnotatedFlow] {
        var generator = SyntheticFlowGenerator(seed: seed, pods: 120, namespaces: 12, flowsPerSecond: 50)
        let flows = generator.generate(count)
        let writer = try SegmentWriter(directory: directory, configuration: StoreConfiguration(blockRecords: blockRecords,
                                                                                            segmentMaxBytes: 256 << 10, fsync: .onSeal))
        try writer.append(flows)
        try writer.close()
        return flows
    }

    /// Each flow's JSON as `flowlog query -o ndjson` prints it.
    static func json(_ flows: [AnnotatedFlow]) -> [String] {
        var renderer = FlowJSONRenderer()
        return flows.map { flow in
            var bytes: [UInt8] = []
            renderer.render(flow, into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func remove(_ directory: String) { try? FileManager.default.removeItem(atPath: directory) }
}
