#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import SegmentStore

/// A sink's cursors and spool positions, in `<spool>/<sink>/state`.
///
/// The file holds two slots of 4 KiB, written in turn in place, so a write torn by a crash
/// leaves the other, older slot whole:
///
///     0           8              16        20        24                      4096
///     +-----------+--------------+---------+---------+-----------------------+
///     | "FLSIEMS1"| generation   | length  | crc32c  | text (length bytes)   |  slot 0
///     |           | u64 LE       | u32 LE  | u32 LE  |                       |
///     +-----------+--------------+---------+---------+-----------------------+
///     | slot 1, same layout                                                  |  4096…8192
///
/// The slot with a valid checksum and the higher generation wins. The text is `key value…`
/// lines:
///
///     format syslog 1            sink type and record format version of the spooled bytes
///     flows 12 3 | flows none    last block read from the flow store (segment, block)
///     audit 1742                 last audit version sequence read (0: none)
///     findings 1732345704000000000  write time of the last archived report read (ns)
///     head 1048576               spool offset: everything before is delivered
///     tail 2097152               spool offset: everything before is synced and read past
///     inflight 1000              records being sent when this was written
///     channel 1d9c…              Splunk request channel (a GUID), kept across restarts
///     window 1732345200000000000 -   a --since/--until run not finished yet: its bounds (ns, - for none)…
///     window-flows 12 3 | none   …and its own cursors, so the same window run again resumes
///     window-audit 17
///     window-findings 0
///
/// Reading moves cursors and `tail` together after the spool is synced, and syncs this file;
/// delivery moves `head` and writes without syncing (a kill -9 keeps the page cache; after a
/// power loss an older head only means records sent again).
struct SinkState: Equatable {
    var format: String
    var flows: BlockPosition?
    var audit: UInt64 = 0
    var findings: UInt64 = 0
    var head: UInt64 = 0
    var tail: UInt64 = 0
    var inflight: UInt64 = 0
    var channel = ""
    /// A `--since/--until` run that has not delivered everything yet.
    var window: WindowProgress?

    /// How far an unfinished windowed run read; the regular cursors stay where they are.
    struct WindowProgress: Equatable {
        /// The window's bounds, in nanoseconds since the epoch; nil: open.
        var since: UInt64?
        var until: UInt64?
        var flows: BlockPosition?
        var audit: UInt64 = 0
        var findings: UInt64 = 0
    }

    static let slotSize = 4096
    /// Magic, generation, length and checksum before a slot's text.
    static let slotHeader = 24
    /// Longest text a slot holds.
    static let textCapacity = slotSize - slotHeader
    /// Longest `format` and `channel` values read back: what a sink writes is far shorter
    /// (`syslog 1`, a GUID), and bounding them keeps every state that reads back small enough
    /// to be written again.
    static let maximumWord = 128
    static let magic = Array("FLSIEMS1".utf8)

    func encoded() -> [UInt8] {
        var text = "format \(format)\n"
        text += flows.map { "flows \($0.segment) \($0.block)\n" } ?? "flows none\n"
        text += "audit \(audit)\nfindings \(findings)\nhead \(head)\ntail \(tail)\ninflight \(inflight)\n"
        if !channel.isEmpty { text += "channel \(channel)\n" }
        if let window {
            text += "window \(window.since.map(String.init) ?? "-") \(window.until.map(String.init) ?? "-")\n"
            text += window.flows.map { "window-flows \($0.segment) \($0.block)\n" } ?? "window-flows none\n"
            text += "window-audit \(window.audit)\nwindow-findings \(window.findings)\n"
        }
        return Array(text.utf8)
    }

    static func decode(_ bytes: ArraySlice<UInt8>, file: String) throws -> SinkState {
        var state = SinkState(format: "")
        for (i, line) in String(decoding: bytes, as: UTF8.self).split(separator: "\n").enumerated() {
            let f = line.split(separator: " ").map(String.init)
            func bad() -> FlowlogError { FlowlogError(.corrupt, "malformed state line '\(line.prefix(80))'", location: .init(file: file, line: i + 1)) }
            switch f.first {
            case "format" where f.count >= 2:
                state.format = f[1...].joined(separator: " ")
                guard state.format.utf8.count <= maximumWord else { throw bad() }
            case "flows" where f.count == 2 && f[1] == "none": state.flows = nil
            case "flows" where f.count == 3:
                guard let s = UInt64(f[1]), let b = UInt32(f[2]) else { throw bad() }
                state.flows = BlockPosition(segment: s, block: b)
            case "audit" where f.count == 2: guard let v = UInt64(f[1]) else { throw bad() }; state.audit = v
            case "findings" where f.count == 2: guard let v = UInt64(f[1]) else { throw bad() }; state.findings = v
            case "head" where f.count == 2: guard let v = UInt64(f[1]) else { throw bad() }; state.head = v
            case "tail" where f.count == 2: guard let v = UInt64(f[1]) else { throw bad() }; state.tail = v
            case "inflight" where f.count == 2: guard let v = UInt64(f[1]) else { throw bad() }; state.inflight = v
            case "channel" where f.count == 2 && f[1].utf8.count <= maximumWord: state.channel = f[1]
            case "window" where f.count == 3:
                func bound(_ text: String) throws -> UInt64? {
                    if text == "-" { return nil }
                    guard let v = UInt64(text) else { throw bad() }
                    return v
                }
                state.window = WindowProgress(since: try bound(f[1]), until: try bound(f[2]))
            case "window-flows" where f.count == 2 && f[1] == "none" && state.window != nil: state.window?.flows = nil
            case "window-flows" where f.count == 3 && state.window != nil:
                guard let s = UInt64(f[1]), let b = UInt32(f[2]) else { throw bad() }
                state.window?.flows = BlockPosition(segment: s, block: b)
            case "window-audit" where f.count == 2 && state.window != nil:
                guard let v = UInt64(f[1]) else { throw bad() }
                state.window?.audit = v
            case "window-findings" where f.count == 2 && state.window != nil:
                guard let v = UInt64(f[1]) else { throw bad() }
                state.window?.findings = v
            default: throw bad()
            }
        }
        guard !state.format.isEmpty, state.head <= state.tail else {
            throw FlowlogError(.corrupt, "state lacks its format line or has head after tail", location: .init(file: file))
        }
        return state
    }
}

/// The open state file of one sink.
final class SinkStateFile {
    let path: String
    private let fd: Int32
    private var generation: UInt64 = 0

    /// Opens `path`; returns the stored state, nil for a new file.
    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SpoolFiles.failure("open", path) }
    }

    deinit { _ = close(fd) }

    func load() throws -> SinkState? {
        var best: (UInt64, SinkState)?
        var sawAny = false
        for slot in 0..<2 {
            var bytes = [UInt8](repeating: 0, count: SinkState.slotSize)
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress, SinkState.slotSize, off_t(slot * SinkState.slotSize)) }
            guard n == SinkState.slotSize, Array(bytes[0..<8]) == SinkState.magic else { continue }
            sawAny = true
            let generation = bytes[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            let length = Int(bytes[16..<20].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
            let crc = bytes[20..<24].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
            // A generation this large is never written (one per sync), and the next write
            // would overflow it: the slot is damaged.
            guard length <= SinkState.textCapacity, generation < 1 << 62 else { continue }
            let text = bytes[SinkState.slotHeader..<(SinkState.slotHeader + length)]
            let computed = bytes.withUnsafeBytes { b in
                CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[8..<16])), UnsafeRawBufferPointer(rebasing: b[SinkState.slotHeader..<(SinkState.slotHeader + length)]))
            }
            guard computed == crc else { continue }
            let state = try SinkState.decode(text, file: path)
            if best.map({ generation > $0.0 }) ?? true { best = (generation, state) }
        }
        if best == nil && sawAny {
            throw FlowlogError(.corrupt, "neither slot of the state file is whole", location: .init(file: path))
        }
        if let best { generation = best.0 }
        return best?.1
    }

    /// Writes `state` into the older slot; `durable` syncs it.
    func store(_ state: SinkState, durable: Bool) throws {
        let text = state.encoded()
        guard text.count <= SinkState.textCapacity else {
            throw FlowlogError(.invalidArgument, "the sink state is \(text.count) bytes, more than a slot holds (\(SinkState.textCapacity))",
                               location: .init(file: path))
        }
        generation += 1
        let slot = Self.slot(text: text, generation: generation)
        let offset = off_t(Int(generation % 2) * SinkState.slotSize)
        let n = slot.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, offset) }
        guard n == SinkState.slotSize else { throw SpoolFiles.failure("pwrite", path) }
        if durable {
            guard fdatasync(fd) == 0 else { throw SpoolFiles.failure("fdatasync", path) }
        }
    }

    /// One slot as the type's layout draws it; `text` fits `SinkState.textCapacity`.
    static func slot(text: [UInt8], generation: UInt64) -> [UInt8] {
        var slot = SinkState.magic
        for k in 0..<8 { slot.append(UInt8(truncatingIfNeeded: generation >> (8 * UInt64(k)))) }
        for k in 0..<4 { slot.append(UInt8(truncatingIfNeeded: UInt32(text.count) >> (8 * UInt32(k)))) }
        let crc = text.withUnsafeBytes { t in slot.withUnsafeBytes { s in CRC32C.update(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: s[8..<16])), t) } }
        for k in 0..<4 { slot.append(UInt8(truncatingIfNeeded: crc >> (8 * UInt32(k)))) }
        slot += text
        slot += [UInt8](repeating: 0, count: SinkState.slotSize - slot.count)
        return slot
    }
}
