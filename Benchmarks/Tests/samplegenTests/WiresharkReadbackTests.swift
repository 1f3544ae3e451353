import Foundation
import Testing
@testable import samplegen

/// A second, independent reader: Wireshark's capinfos must see every record. Skipped where
/// Wireshark's tools are not installed (`apt-get install -y tshark`).
@Suite("samplegen capture read back by Wireshark")
struct WiresharkReadbackTests {
    static let capinfos = ["/usr/bin/capinfos", "/usr/local/bin/capinfos"].first { FileManager.default.isExecutableFile(atPath: $0) }

    @Test("capinfos counts every packet, in strict time order", .enabled(if: capinfos != nil))
    func capinfosReadsEveryRecord() throws {
        let sample = try SampleFixture()
        defer { sample.remove() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.capinfos!)
        process.arguments = ["-c", "-o", "-M", sample.directory + "/capture.pcap"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(output.contains("Number of packets:   \(sample.generation.traffic.packets)\n"), "\(output)")
        #expect(output.contains("Strict time order:   True"), "\(output)")
    }
}
