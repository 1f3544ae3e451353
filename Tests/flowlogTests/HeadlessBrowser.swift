import Foundation

/// Debian's `chromium`, headless, for tests of the HTML report: a page's DOM after loading, its
/// console messages, and a screenshot. Each run gets its own profile directory, so parallel
/// test runs do not share browser state.
struct HeadlessBrowser {
    let executable: String

    /// nil when no chromium is installed.
    static func find() -> HeadlessBrowser? {
        for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return HeadlessBrowser(executable: candidate)
        }
        return nil
    }

    /// Whether this run must not skip browser tests (CI sets it).
    static var required: Bool { ProcessInfo.processInfo.environment["FLOWLOG_REQUIRE_BROWSER"] == "1" }

    struct Page {
        let dom: String
        /// Messages the page logged to its console (CSP violations, failed loads, script output).
        let console: [String]
    }

    /// Loads `file` and returns its serialised DOM and console messages.
    func load(_ file: String) throws -> Page {
        let run = try self.run(["--dump-dom", URL(fileURLWithPath: file).absoluteString])
        let console = run.stderr.split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Page(dom: run.stdout, console: console)
    }

    /// A PNG of `file` rendered in a `width`×`height` window.
    func screenshot(_ file: String, to png: String, width: Int = 1280, height: Int = 2400) throws -> Data {
        _ = try run(["--hide-scrollbars", "--window-size=\(width),\(height)", "--screenshot=\(png)",
                     URL(fileURLWithPath: file).absoluteString])
        return try Data(contentsOf: URL(fileURLWithPath: png))
    }

    private func run(_ arguments: [String]) throws -> (stdout: String, stderr: String) {
        let profile = NSTemporaryDirectory() + "flowlog-chromium-\(getpid())-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // --no-sandbox: tests run as root in CI containers, where chromium's sandbox cannot start.
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
                             "--enable-logging=stderr", "--v=0", "--user-data-dir=\(profile)"] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        final class Collected: @unchecked Sendable { var data = Data() }  // written once, read after the group's wait
        let stderrData = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderrData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: watchdog)
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        watchdog.cancel()
        return (String(decoding: stdoutData, as: UTF8.self), String(decoding: stderrData.data, as: UTF8.self))
    }
}
