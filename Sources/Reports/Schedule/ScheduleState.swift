import FlowCore
import Foundation

/// When the agent first saw each scheduled report: its first interval starts at the first
/// schedule tick after that. Kept in `DATA/reports/schedule.json`:
///
///     {"formatVersion": 1, "firstSeen": {"<report name>": "2026-11-02T09:00:00Z", …}}
///
/// Written to a temporary file and renamed, so a crash leaves the old or the new state.
public struct ScheduleState: Sendable, Hashable {
    public var firstSeen: [String: Timestamp] = [:]

    public init(firstSeen: [String: Timestamp] = [:]) { self.firstSeen = firstSeen }

    static func path(_ archive: ReportArchive) -> String { (archive.directory as NSString).appendingPathComponent("schedule.json") }

    /// The saved state; empty when there is none. A damaged file is an error naming it.
    public static func load(_ archive: ReportArchive) throws -> ScheduleState {
        let path = path(archive)
        guard let data = FileManager.default.contents(atPath: path) else { return ScheduleState() }
        guard data.count <= 16 << 20,
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let seen = object["firstSeen"] as? [String: String] else {
            throw FlowlogError(.corrupt, "not a schedule state file (expected {\"formatVersion\": 1, \"firstSeen\": {…}})",
                               location: .init(file: path))
        }
        var state = ScheduleState()
        for (name, text) in seen {
            guard let time = Timestamp(rfc3339: text) else {
                throw FlowlogError(.corrupt, "'\(text)' is not an RFC 3339 time", location: .init(file: path, field: "firstSeen.\(name)"))
            }
            state.firstSeen[name] = time
        }
        return state
    }

    public func save(_ archive: ReportArchive) throws {
        try FileManager.default.createDirectory(atPath: archive.directory, withIntermediateDirectories: true)
        var j = JSONBuilder()
        j.open()
        j.number("formatVersion", 1)
        j.open("firstSeen")
        for name in firstSeen.keys.sorted() { j.string(name, firstSeen[name]!.wholeSecondsRFC3339) }
        j.close()
        j.close()
        let path = Self.path(archive)
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: Data((j.text + "\n").utf8)),
              rename(temporary, path) == 0 else {
            throw FlowlogError(.io, "cannot write the schedule state", location: .init(file: path))
        }
    }
}
