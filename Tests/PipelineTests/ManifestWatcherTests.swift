import Foundation
import Testing
@testable import Pipeline

/// Collects what the watcher reports, from the watcher's thread.
final class ChangeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var changes: [ManifestChange] = []

    func append(_ change: ManifestChange) {
        lock.lock()
        changes.append(change)
        lock.unlock()
    }

    var all: [ManifestChange] {
        lock.lock()
        defer { lock.unlock() }
        return changes
    }

    /// Waits up to `seconds` for at least `count` reports.
    func wait(for count: Int, seconds: Double = 5) -> [ManifestChange] {
        let deadline = Date().addingTimeInterval(seconds)
        while all.count < count && Date() < deadline { usleep(10_000) }
        return all
    }
}

@Suite("Manifest watcher, on real files", .serialized)
struct ManifestWatcherTests {
    static let interval = Duration.milliseconds(20)
    static let debounce = Duration.milliseconds(100)

    func write(_ text: String, to path: String) throws {
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    @Test("an edited file is reported as changed, once")
    func editedFile() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/cluster.yaml"
        try write("kind: Namespace\n", to: file)
        let log = ChangeLog()
        let watcher = try ManifestWatcher(paths: [file], interval: Self.interval, debounce: Self.debounce) { log.append($0) }
        defer { watcher.stop() }
        usleep(100_000)
        #expect(log.all.isEmpty, "reported a change nobody made")

        try write("kind: Namespace\nmetadata: {name: prod}\n", to: file)
        let changes = log.wait(for: 1)
        #expect(changes == [ManifestChange(changed: [file])])
    }

    @Test("a burst of writes settles into one report")
    func debounced() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/policy.yaml"
        try write("a: 1\n", to: file)
        let log = ChangeLog()
        let watcher = try ManifestWatcher(paths: [directory.path], interval: Self.interval, debounce: .milliseconds(500)) { log.append($0) }
        defer { watcher.stop() }
        for step in 0..<8 {
            try write("a: \(step)\n" + String(repeating: "#", count: step), to: file)
            usleep(20_000)
        }
        _ = log.wait(for: 1)
        usleep(700_000)
        #expect(log.all == [ManifestChange(changed: [file])])
    }

    @Test("files appearing in and disappearing from a manifest directory are reported; other files are not")
    func directoryMembership() throws {
        let directory = try TemporaryDirectory()
        try write("a: 1\n", to: directory.path + "/one.yaml")
        let log = ChangeLog()
        let watcher = try ManifestWatcher(paths: [directory.path], interval: Self.interval, debounce: Self.debounce) { log.append($0) }
        defer { watcher.stop() }

        try write("b: 2\n", to: directory.path + "/two.yml")
        try write("notes\n", to: directory.path + "/README.txt")
        try write("x\n", to: directory.path + "/.hidden.yaml")
        var changes = log.wait(for: 1)
        #expect(changes == [ManifestChange(appeared: [directory.path + "/two.yml"])])

        try FileManager.default.removeItem(atPath: directory.path + "/one.yaml")
        changes = log.wait(for: 2)
        #expect(changes.count == 2)
        #expect(changes.last == ManifestChange(disappeared: [directory.path + "/one.yaml"]))
        #expect(ManifestWatcher.manifestFiles(under: [directory.path]) == [directory.path + "/two.yml"])
    }

    @Test("a file replaced by rename (same size, new inode) is a change; a missing file is watched for")
    func renameAndAppearance() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path + "/cluster.json"
        let later = directory.path + "/later.yaml"
        try write("{\"a\": 1}\n", to: file)
        let log = ChangeLog()
        let watcher = try ManifestWatcher(paths: [file, later], interval: Self.interval, debounce: Self.debounce) { log.append($0) }
        defer { watcher.stop() }

        let replacement = directory.path + "/.cluster.json.tmp"
        try write("{\"a\": 2}\n", to: replacement)
        #expect(rename(replacement, file) == 0)
        var changes = log.wait(for: 1)
        #expect(changes == [ManifestChange(changed: [file])])

        try write("c: 3\n", to: later)
        changes = log.wait(for: 2)
        #expect(changes.last == ManifestChange(appeared: [later]))
    }

    @Test("stop returns promptly, even with a long interval, and no report follows it")
    func stopIsPrompt() throws {
        let directory = try TemporaryDirectory()
        let log = ChangeLog()
        let watcher = try ManifestWatcher(paths: [directory.path], interval: .seconds(30)) { log.append($0) }
        let start = Date()
        watcher.stop()
        watcher.stop()
        #expect(Date().timeIntervalSince(start) < 1)
        try write("a: 1\n", to: directory.path + "/new.yaml")
        usleep(100_000)
        #expect(log.all.isEmpty)
    }

    @Test("changes describe themselves")
    func changeDescription() {
        #expect(ManifestChange().description == "no change")
        #expect(ManifestChange(changed: ["a"], disappeared: ["b"]).description == "changed: a; disappeared: b")
    }
}
