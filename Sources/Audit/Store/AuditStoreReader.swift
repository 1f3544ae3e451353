import FlowCore

/// Reads every stored version of an audit directory, in store order.
public enum AuditStoreReader {
    /// One file's versions, and how many bytes of it are whole lines (the rest is a torn tail).
    struct FileContents {
        var versions: [ObjectVersion]
        var completeBytes: UInt64
    }

    /// Every version in `directory`: sealed files in sequence order, then the open file. A torn
    /// last line of the open file is ignored; any other bad line is damage and throws with the
    /// file and line.
    public static func load(directory: String) throws -> [ObjectVersion] {
        var versions: [ObjectVersion] = []
        for (name, open) in try files(in: directory) {
            versions += try read(directory + "/" + name, open: open).versions
        }
        return versions
    }

    /// The store's files in order: sealed by sequence, then the open one, if any.
    static func files(in directory: String) throws -> [(name: String, open: Bool)] {
        let names = try AuditFileSystem.list(directory)
        let parsed = names.compactMap { name in AuditStoreFormat.parseFileName(name).map { (name, $0.sequence, $0.open) } }
        return parsed.sorted { ($0.2 ? 1 : 0, $0.1) < ($1.2 ? 1 : 0, $1.1) }.map { ($0.0, $0.2) }
    }

    static func read(_ path: String, open: Bool) throws -> FileContents {
        let bytes = try AuditFileSystem.readAll(path)
        var versions: [ObjectVersion] = []
        var lineStart = 0
        var line = 1
        return try bytes.withUnsafeBytes { raw in
            while lineStart < raw.count {
                guard let newline = raw[lineStart...].firstIndex(of: 0x0A) else {
                    if open { break }
                    throw FlowlogError(.truncated, "sealed audit file ends inside a line", location: .init(file: path, line: line))
                }
                let slice = UnsafeRawBufferPointer(rebasing: raw[lineStart..<newline])
                do {
                    let json = try JSONParser.parse(slice, limits: .init(maximumBytes: AuditStoreFormat.maximumLineBytes))
                    versions.append(try ObjectVersion(record: json))
                } catch let failure as JSONParser.Failure {
                    throw FlowlogError(.corrupt, "not a stored version: \(failure.reason)",
                                       location: .init(file: path, line: line, column: failure.column))
                } catch let malformed as AuditEvent.Malformed {
                    throw FlowlogError(.corrupt, "not a stored version: \(malformed.reason)", location: .init(file: path, line: line, field: malformed.field))
                }
                lineStart = newline + 1
                line += 1
            }
            return FileContents(versions: versions, completeBytes: UInt64(lineStart))
        }
    }
}
