import Foundation

/// Runs the built `flowlog` executable and captures its output.
enum FlowlogRunner {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The executable sits beside the test bundle in the build's bin directory; the package
    /// root's `.build/debug/flowlog` is the fallback.
    static let executable: String = {
        let beside = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                         ?? CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flowlog").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return packageRoot.appendingPathComponent(".build/debug/flowlog").path
    }()

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func fixture(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/CaptureTests/Fixtures/\(name)").path
    }

    static func temporaryPath(_ name: String) -> String {
        NSTemporaryDirectory() + "flowlog-cli-\(getpid())-\(UUID().uuidString)-\(name)"
    }

    static func run(_ arguments: [String], standardInput: String? = nil) throws -> Output {
        try run(executable: executable, arguments, standardInput: standardInput)
    }

    /// Runs any program (a shell, for documented command lines) in `directory` with `environment`.
    static func run(executable: String, _ arguments: [String], standardInput: String? = nil, directory: String? = nil,
                    environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        if let standardInput { process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: standardInput)) }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a full pipe never blocks the child.
        // Safe unchecked: the reader block writes `data` once, and it is read only after
        // `group.wait()`, which orders the write before the read.
        final class Collected: @unchecked Sendable { var data = Data() }
        let stderrData = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderrData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData.data, as: UTF8.self))
    }

    static func json(_ text: String) throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let dictionary = object as? [String: Any] else { throw CocoaError(.coderReadCorrupt) }
        return dictionary
    }
}
