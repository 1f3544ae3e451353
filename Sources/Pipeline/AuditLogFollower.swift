#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Atomics
import Audit
import FlowCore
import Foundation
import Logging

/// Follows a kube-apiserver audit log as it grows, through rotation (the path names a new
/// file: the old one is read to its end first) and truncation (copytruncate: read again from
/// the start). Where it got to is kept in `AUDIT/FOLLOW`, so a restarted agent resumes instead of
/// re-reading (re-reading would add nothing anyway: ingest skips stored audit IDs).
///
/// A line still being written (no newline yet) is left for the next look.
public final class AuditLogFollower: @unchecked Sendable {
    // `@unchecked Sendable`: after `init` only the follower's own thread touches `reader`,
    // `position` and `pendingLine`; `stopping` is atomic and `thread` is joined once.
    public let path: String
    private let ingestor: AuditIngestor
    private let logger: Logger
    private let interval: Duration
    private let statePath: String
    private let stopping = ManagedAtomic<Bool>(false)
    private var thread: BackgroundThread?
    private let linesRead = ManagedAtomic<Int>(0)

    /// Lines read so far (whole lines, bad ones included).
    public var lines: Int { linesRead.load(ordering: .relaxed) }

    public init(path: String, ingestor: AuditIngestor, interval: Duration = .seconds(1), logger: Logger) throws {
        self.path = path
        self.ingestor = ingestor
        self.interval = interval
        self.logger = logger
        statePath = ingestor.directory + "/FOLLOW"
        do {
            thread = try BackgroundThread(name: "flowlog-audit") { [self] in run() }
        } catch let failure as SystemCallError {
            throw FlowlogError(.libraryCall, "cannot start the audit log follower: \(failure.message)", call: failure.call)
        }
    }

    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        thread?.join()
    }

    private struct Position {
        var inode: UInt64
        var offset: UInt64
        var line: Int
    }

    private func run() {
        var reader: AuditLogReader? = nil
        var position = loadPosition()
        while !stopping.load(ordering: .acquiring) {
            var status = stat()
            if stat(path, &status) == 0 {
                let inode = UInt64(status.st_ino), size = UInt64(status.st_size)
                if let current = reader, current.identity()?.inode != inode {
                    // Rotated: finish the old file, then start the new one from its beginning.
                    drain(current, position: &position)
                    reader = nil
                    position = Position(inode: inode, offset: 0, line: 1)
                } else if reader != nil, size < position.offset {
                    logger.notice("audit log truncated; reading it again from the start", metadata: ["path": "\(path)"])
                    reader = nil
                    position = Position(inode: inode, offset: 0, line: 1)
                }
                if reader == nil {
                    if position.inode != inode || position.offset > size { position = Position(inode: inode, offset: 0, line: 1) }
                    do {
                        reader = try AuditLogReader(path: path, offset: position.offset, firstLine: position.line)
                    } catch {
                        logger.warning("cannot open the audit log", metadata: ["path": "\(path)", "error": "\(error)"])
                    }
                }
                if let current = reader { drain(current, position: &position) }
            }
            sleepInterval()
        }
    }

    /// Reads every whole line there is now and stores their events.
    private func drain(_ reader: AuditLogReader, position: inout Position) {
        var events: [AuditEvent] = []
        func flush() {
            guard !events.isEmpty else { return }
            do {
                let outcome = try ingestor.ingestWaiting(events)
                if outcome.versions > 0 { logger.debug("audit events stored", metadata: ["versions": "\(outcome.versions)"]) }
            } catch {
                logger.error("storing audit events failed; they will be read again", metadata: ["error": "\(error)"])
                return
            }
            events.removeAll(keepingCapacity: true)
            position.offset = reader.consumedBytes
            position.line = reader.lineNumber + 1
            savePosition(position)
        }
        do {
            while let line = try reader.next() {
                switch line {
                case .complete(let number, let bytes):
                    linesRead.wrappingIncrement(ordering: .relaxed)
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) { continue }
                    switch AuditIngest.decode(bytes) {
                    case .success(let event): events.append(event)
                    case .failure(let failure):
                        logger.warning("bad audit log line skipped", metadata: [
                            "at": "\(path):\(number)\(failure.column.map { ":\($0)" } ?? "")", "reason": "\(failure.reason)"])
                    }
                    if events.count >= 1_000 { flush() }
                case .tooLong(let number, let size):
                    logger.warning("audit log line too long; skipped", metadata: ["at": "\(path):\(number)", "bytes": "\(size)"])
                case .partial:
                    flush()
                    return
                }
            }
        } catch {
            logger.warning("reading the audit log failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
        flush()
        position.offset = reader.consumedBytes
        position.line = reader.lineNumber + 1
    }

    private func sleepInterval() {
        var left = interval.wholeNanoseconds
        while left > 0 && !stopping.load(ordering: .acquiring) {
            let step = min(left, 50_000_000)
            usleep(UInt32(step / 1_000))
            left -= step
        }
    }

    // MARK: - Position file: "<inode> <offset> <next line>\n"

    private func loadPosition() -> Position {
        guard let text = try? String(contentsOfFile: statePath, encoding: .utf8) else { return Position(inode: 0, offset: 0, line: 1) }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 3, let inode = UInt64(fields[0]), let offset = UInt64(fields[1]), let line = Int(fields[2]) else {
            return Position(inode: 0, offset: 0, line: 1)
        }
        return Position(inode: inode, offset: offset, line: line)
    }

    private func savePosition(_ position: Position) {
        let text = "\(position.inode) \(position.offset) \(position.line)\n"
        let temporary = statePath + ".tmp"
        guard let file = fopen(temporary, "w") else { return }
        fputs(text, file)
        fflush(file)
        fsync(fileno(file))
        fclose(file)
        rename(temporary, statePath)
    }
}
