import Foundation
import Testing

/// Every `flowlog` command in a `sh` block of the README, samples/README.md and docs/*.md is run
/// here, against the demo data the quick start produces, and its output checked: against the
/// output block the document shows right after it (`<!-- output -->`, or `<!-- output exit=N -->`
/// for a command that fails on purpose), and against the snapshot of every command's output in
/// `Fixtures/documented-commands.txt`. Commands are taken from the documents, so an example that
/// stops working, or whose answer changes, fails here.
///
/// A block that cannot run in a test says so and why on the line before it
/// (`<!-- not run: live capture needs root -->`). Paths under `/tmp/flowlog-` are given a fresh
/// temporary directory per document; a document that does not replay the demo itself gets the
/// quick start's store at `/tmp/flowlog-demo`.
///
/// After an intended change: `FLOWLOG_UPDATE_GOLDEN=1 swift test --filter DocumentedCommandsTests`
/// and review the diff of the snapshot (the shown output blocks are checked, never rewritten).
@Suite("Documented commands", .serialized)
struct DocumentedCommandsTests {
    struct Command {
        var document: String
        var line: Int
        var text: String
        /// The output block the document shows after it, and the exit status it states.
        var shown: String?
        var status: Int32 = 0
    }

    static let root = FlowlogRunner.packageRoot.path
    static let documents: [String] = {
        let docs = (try? FileManager.default.contentsOfDirectory(atPath: root + "/docs")) ?? []
        return ["README.md", "samples/README.md"] + docs.filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
    }()

    /// The commands of one document, in order; blocks marked "not run" are counted apart.
    static func commands(in document: String) throws -> (run: [Command], skipped: Int) {
        let lines = try String(contentsOfFile: root + "/" + document, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var commands: [Command] = []
        var skipped = 0
        var i = 0
        func previousNonEmpty(_ index: Int) -> String? {
            var j = index - 1
            while j >= 0, lines[j].trimmingCharacters(in: .whitespaces).isEmpty { j -= 1 }
            return j >= 0 ? lines[j] : nil
        }
        while i < lines.count {
            guard lines[i].hasPrefix("```sh") else { i += 1; continue }
            let notRun = previousNonEmpty(i)?.hasPrefix("<!-- not run:") ?? false
            var j = i + 1
            var pending = ""
            var found: [Command] = []
            while j < lines.count, !lines[j].hasPrefix("```") {
                var line = lines[j]
                if line.hasSuffix("\\") {
                    line.removeLast()
                    pending += line + " "
                    j += 1
                    continue
                }
                let full = pending + line
                pending = ""
                var command = full.trimmingCharacters(in: .whitespaces)
                if command.hasPrefix("swift run -c release flowlog ") { command.removeFirst("swift run -c release ".count) }
                if command.hasPrefix("flowlog ") {
                    found.append(Command(document: document, line: j + 1, text: stripComment(command)))
                }
                j += 1
            }
            // An output block right after a one-command block.
            var k = j + 1
            while k < lines.count, lines[k].trimmingCharacters(in: .whitespaces).isEmpty { k += 1 }
            if found.count == 1, k + 1 < lines.count, lines[k].hasPrefix("<!-- output"), lines[k + 1].hasPrefix("```") {
                if let range = lines[k].range(of: "exit=") {
                    found[0].status = Int32(lines[k][range.upperBound...].prefix { $0.isNumber }) ?? 0
                }
                var m = k + 2
                var shown: [String] = []
                while m < lines.count, !lines[m].hasPrefix("```") { shown.append(lines[m]); m += 1 }
                found[0].shown = shown.joined(separator: "\n") + "\n"
                j = m
            }
            if notRun { skipped += found.count } else { commands += found }
            i = j + 1
        }
        return (commands, skipped)
    }

    /// `cmd  # note` → `cmd`; a `#` inside quotes stays.
    static func stripComment(_ text: String) -> String {
        var quote: Character?
        var previous: Character = " "
        for (offset, c) in text.enumerated() {
            if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "#", previous == " " {
                return String(text.prefix(offset)).trimmingCharacters(in: .whitespaces)
            }
            previous = c
        }
        return text
    }

    /// Lines whose figures depend on the machine or the clock (times, rates, ring waits, sizes
    /// on disk) keep their words only.
    static func masked(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let l = String(line)
            // Sizes on disk vary by a byte or two with the time written into segment headers.
            for prefix in ["processing ", "policy time ", "elapsed: ", "ring ", "bytes written ", "bytes read: ", "total: ",
                           "000000000"] where l.hasPrefix(prefix) {
                return l.replacingOccurrences(of: "[0-9][0-9.]*", with: "N", options: .regularExpression)
            }
            if l.contains("\"seconds\":") || l.contains("\"packets_per_second\":") || l.contains("\"ns_per_flow\":") {
                return l.replacingOccurrences(of: "[0-9][0-9.]*", with: "N", options: .regularExpression)
            }
            return l
        }.joined(separator: "\n")
    }

    /// Does `got` match a shown block, where a line `…` stands for any lines and `…` inside a
    /// line for any text?
    static func matches(_ got: String, shown: String) -> Bool {
        let g = got.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let s = shown.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func line(_ text: String, _ pattern: String) -> Bool {
            guard pattern.contains("…") else { return text == pattern }
            let parts = pattern.components(separatedBy: "…")
            var rest = Substring(text)
            guard rest.hasPrefix(parts[0]) else { return false }
            rest = rest.dropFirst(parts[0].count)
            for part in parts.dropFirst().dropLast() {
                guard let r = rest.range(of: part) else { return false }
                rest = rest[r.upperBound...]
            }
            return rest.hasSuffix(parts.last!)
        }
        func match(_ gi: Int, _ si: Int) -> Bool {
            if si == s.count { return gi == g.count }
            if s[si] == "…" {
                for next in gi...g.count where match(next, si + 1) { return true }
                return false
            }
            return gi < g.count && line(g[gi], s[si]) && match(gi + 1, si + 1)
        }
        return match(0, 0)
    }

    @Test func everyDocumentedCommandRunsAndAnswersAsShown() throws {
        let binDirectory = URL(fileURLWithPath: FlowlogRunner.executable).deletingLastPathComponent().path
        let work = FlowlogRunner.temporaryPath("docs")
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // Commands run in a directory that links to the package's files, so one that writes a
        // relative path (an output file) writes there, not into the source tree.
        let tree = work + "/tree"
        try FileManager.default.createDirectory(atPath: tree, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.root) where !name.hasPrefix(".") {
            try FileManager.default.createSymbolicLink(atPath: tree + "/" + name, withDestinationPath: Self.root + "/" + name)
        }
        var snapshot = ""
        var total = 0, skipped = 0
        for (number, document) in Self.documents.enumerated() {
            let (commands, notRun) = try Self.commands(in: document)
            skipped += notRun
            guard !commands.isEmpty else { continue }
            snapshot += "## \(document)\n\n"
            let scratch = "\(work)/\(number)/flowlog-"
            try FileManager.default.createDirectory(atPath: "\(work)/\(number)", withIntermediateDirectories: true)
            // The quick start's store, unless the document makes it itself.
            if !(commands.first?.text.hasPrefix("flowlog replay samples/demo.pcap") ?? false) {
                let replay = try FlowlogRunner.run(["replay", Self.root + "/samples/demo.pcap", "--cluster", Self.root + "/samples/cluster",
                                                    "--data", scratch + "demo"])
                try #require(replay.status == 0, "\(replay.stderr)")
            }
            for command in commands {
                total += 1
                let script = command.text.replacingOccurrences(of: "/tmp/flowlog-", with: scratch)
                let result = try Self.shell(script, path: binDirectory, directory: tree)
                let output = (result.stdout + result.stderr).replacingOccurrences(of: scratch, with: "/tmp/flowlog-")
                let place = "\(command.document):\(command.line): \(command.text)"
                #expect(result.status == command.status, "\(place)\nexit \(result.status)\n\(output)")
                #expect(!output.isEmpty, "\(place) printed nothing")
                if let shown = command.shown {
                    #expect(Self.matches(output, shown: shown), "\(place)\nshown:\n\(shown)\ngot:\n\(output)")
                }
                snapshot += "$ \(command.text)\n\(Self.masked(output))\n"
            }
        }
        // The quick start, the first questions and each subcommand's examples are all here.
        #expect(total >= 25, "only \(total) documented commands found")
        #expect(skipped >= 1)
        let path = Self.root + "/Tests/flowlogTests/Fixtures/documented-commands.txt"
        if ProcessInfo.processInfo.environment["FLOWLOG_UPDATE_GOLDEN"] == "1" {
            try snapshot.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        if snapshot != expected {
            let got = snapshot.split(separator: "\n", omittingEmptySubsequences: false)
            let want = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let first = zip(got, want).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, want.count)
            Issue.record("documented-commands.txt differs first at line \(first + 1):\n got: \(first < got.count ? String(got[first]) : "<end>")\nwant: \(first < want.count ? String(want[first]) : "<end>")")
        }
    }

    @Test func outputBlocksMatchTheirPatterns() {
        #expect(Self.matches("a\nb\nc\n", shown: "a\n…\n"))
        #expect(Self.matches("a 12 s\n", shown: "a … s\n"))
        #expect(!Self.matches("a\nb\n", shown: "a\nc\n"))
        #expect(Self.stripComment("flowlog query 'a # b'   # note") == "flowlog query 'a # b'")
    }

    /// Runs `script` with `sh -c` in `directory`, the built flowlog first on the PATH, on a
    /// pseudo-terminal as a reader of the documents would (tables, not CSV, by default) where
    /// `script(1)` is there to provide one. Standard output and error then come as one stream.
    static func shell(_ script: String, path: String, directory: String) throws -> FlowlogRunner.Output {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        let terminal = "/usr/bin/script"
        guard FileManager.default.isExecutableFile(atPath: terminal) else {
            return try FlowlogRunner.run(executable: "/bin/sh", ["-c", script], directory: directory, environment: environment)
        }
        var result = try FlowlogRunner.run(executable: terminal, ["-qefc", script, "/dev/null"], directory: directory,
                                           environment: environment)
        result.stdout = terminalText(result.stdout)
        return result
    }

    /// What a terminal shows: CR LF as LF, a line redrawn after `\r` (a progress line) as its
    /// last state, erase-line sequences dropped.
    static func terminalText(_ raw: String) -> String {
        raw.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\u{1B}[K", with: "")
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in line.split(separator: "\r", omittingEmptySubsequences: false).last.map(String.init) ?? "" }
            .joined(separator: "\n")
    }
}
