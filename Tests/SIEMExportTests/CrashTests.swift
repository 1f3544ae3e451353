import Foundation
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// kill -9 of a real `flowlog export siem` process in the middle of a batch to a slow
/// Elasticsearch stand-in that, like Elasticsearch, answers 409 for an `_id` it already holds.
@Suite("SIEM exporter killed mid-batch", .serialized)
struct CrashTests {
    /// The executable sits beside the test bundle in the build's bin directory.
    static let flowlog: String = {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("flowlog").path
    }()

    final class Index: Sendable {
        let documents = Mutex<[String: Int]>([:])
        let conflicts = Mutex(0)
    }

    static func run(_ arguments: [String], log: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: flowlog)
        process.arguments = arguments
        let handle = FileHandle(forWritingAtPath: log) ?? {
            FileManager.default.createFile(atPath: log, contents: nil)
            return FileHandle(forWritingAtPath: log)!
        }()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    @Test("nothing lost, no duplicate indexed, the re-sent batch answered 409 and counted", .enabled(if: FileManager.default.isExecutableFile(atPath: CrashTests.flowlog)))
    func killedDuringABulkRequest() throws {
        let store = TestStore.temporaryDirectory("crash")
        defer { TestStore.remove(store) }
        try TestStore.write(store, count: 3_000, seed: 11)
        let index = Index()
        let receiver = try TestReceiver { request, _ in
            let answer = HTTPSinkTests.bulkAnswer(request.text) { id in
                index.documents.withLock { documents in
                    documents[id, default: 0] += 1
                    return documents[id]! > 1 ? 409 : 201
                }
            }
            // Slow: the exporter is killed while a request is in flight.
            return .init(200, answer, delay: 0.4)
        }
        let config = store + "-siem.yaml"
        defer { TestStore.remove(config) }
        try """
            sinks:
              - name: es
                type: elasticsearch
                url: \(receiver.url)
                batch: {count: 200}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let log = store + "-export.log"
        defer { TestStore.remove(log) }
        let first = try Self.run(["export", "siem", "--config", config, "--data", store], log: log)
        let deadline = Date().addingTimeInterval(30)
        while receiver.requests.count < 3, first.isRunning, Date() < deadline { usleep(10_000) }
        // The third request has arrived and waits for its answer: kill now, mid-batch.
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)
        let second = try Self.run(["export", "siem", "--config", config, "--data", store], log: log)
        second.waitUntilExit()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(second.terminationStatus == 0, "\(output)")
        let documents = index.documents.withLock { $0 }
        #expect(documents.count == 3_000)
        let resent = documents.values.filter { $0 > 1 }.count
        #expect(resent > 0, "the batch in flight was not sent again")
        var reported = 0
        if let range = output.range(of: #"(\d+) sent again after a restart"#, options: .regularExpression) {
            reported = Int(output[range].prefix { $0.isNumber }) ?? 0
        }
        #expect(resent <= reported, "\(resent) re-sent, \(reported) reported: \(output)")
    }
}
