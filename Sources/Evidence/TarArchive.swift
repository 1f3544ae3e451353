#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore

/// POSIX ustar archives, as much as bundles need: regular files and directories, names up to
/// 100 bytes, sizes up to 8 GiB each. `tar -tf` and `tar -xf` read what this writes.
///
/// Each member is a 512-byte header then its bytes padded to 512; two zero blocks end the archive.
///
/// ```text
/// offset size field            offset size field
///      0  100 name                  257    6 magic "ustar\0"
///    100    8 mode (octal)          263    2 version "00"
///    108    8 uid                   265   32 uname
///    116    8 gid                   297   32 gname
///    124   12 size (octal)          329    8 devmajor
///    136   12 mtime (octal)         337    8 devminor
///    148    8 checksum              345  155 prefix
///    156    1 type ('0' file, '5' directory)
///    157  100 linkname              500   12 padding
/// ```
enum TarArchive {
    static let block = 512
    static let maximumMemberBytes: UInt64 = 0o77777777777

    static func header(name: String, size: UInt64, directory: Bool, mtime: UInt64) throws -> [UInt8] {
        let nameBytes = Array(name.utf8)
        guard nameBytes.count <= 100 else { throw FlowlogError(.invalidArgument, "bundle member name longer than 100 bytes: \(name)") }
        guard size <= maximumMemberBytes else { throw FlowlogError(.invalidArgument, "\(name) is larger than a tar member may be (8 GiB)") }
        var header = [UInt8](repeating: 0, count: block)
        func put(_ bytes: [UInt8], at offset: Int) { for (i, b) in bytes.enumerated() { header[offset + i] = b } }
        func octal(_ value: UInt64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(nameBytes, at: 0)
        put(octal(directory ? 0o755 : 0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        put(octal(size, width: 12), at: 124)
        put(octal(mtime, width: 12), at: 136)
        header[156] = directory ? UInt8(ascii: "5") : UInt8(ascii: "0")
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(Array(repeating: UInt8(ascii: " "), count: 8), at: 148)
        let sum = header.reduce(0) { $0 + UInt64($1) }
        put(octal(sum, width: 7) + [UInt8(ascii: " ")], at: 148)
        return header
    }

    /// Writes an archive to `path` member by member.
    final class Writer {
        let path: String
        private let descriptor: Int32

        init(path: String) throws {
            self.path = path
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw EvidenceFiles.error("open", path) }
        }

        deinit { close(descriptor) }

        func addDirectory(_ name: String, mtime: UInt64) throws {
            try EvidenceFiles.writeAll(descriptor, try header(name: name.hasSuffix("/") ? name : name + "/", size: 0, directory: true, mtime: mtime), path: path)
        }

        func addFile(_ name: String, bytes: [UInt8], mtime: UInt64) throws {
            try EvidenceFiles.writeAll(descriptor, try header(name: name, size: UInt64(bytes.count), directory: false, mtime: mtime), path: path)
            try EvidenceFiles.writeAll(descriptor, bytes + padding(UInt64(bytes.count)), path: path)
        }

        /// Copies `source` in, failing if it changes length meanwhile.
        func addFile(_ name: String, from source: String, mtime: UInt64) throws {
            guard let size = EvidenceFiles.size(source) else { throw EvidenceFiles.error("stat", source) }
            try EvidenceFiles.writeAll(descriptor, try header(name: name, size: size, directory: false, mtime: mtime), path: path)
            let input = open(source, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw EvidenceFiles.error("open", source) }
            defer { close(input) }
            var copied: UInt64 = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            while copied < size {
                let want = Int(min(UInt64(chunk.count), size - copied))
                let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress, want) }
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { throw FlowlogError(.io, "shrank while being bundled", location: .init(file: source)) }
                try EvidenceFiles.writeAll(descriptor, Array(chunk[0..<count]), path: path)
                copied += UInt64(count)
            }
            try EvidenceFiles.writeAll(descriptor, padding(size), path: path)
        }

        func finish() throws {
            try EvidenceFiles.writeAll(descriptor, [UInt8](repeating: 0, count: 2 * block), path: path)
            guard fsync(descriptor) == 0 else { throw EvidenceFiles.error("fsync", path) }
        }

        private func padding(_ size: UInt64) -> [UInt8] {
            let rest = Int(size % UInt64(block))
            return rest == 0 ? [] : [UInt8](repeating: 0, count: block - rest)
        }
    }

    /// Extracts `archive` under `destination`, accepting only regular files and directories with
    /// relative names free of `..`, each header's checksum checked, nothing written outside.
    static func extract(_ archive: String, to destination: String, maximumTotalBytes: UInt64 = 1 << 40) throws -> [String] {
        let input = open(archive, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw EvidenceFiles.error("open", archive) }
        defer { close(input) }
        var offset: UInt64 = 0
        var total: UInt64 = 0
        var members: [String] = []
        func readExactly(_ count: Int) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            var filled = 0
            while filled < count {
                let n = bytes.withUnsafeMutableBytes { read(input, $0.baseAddress! + filled, count - filled) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw FlowlogError(.truncated, "archive ends inside a member", location: .init(file: archive, offset: offset)) }
                filled += n
            }
            offset += UInt64(count)
            return bytes
        }
        func fail(_ why: String) -> FlowlogError { FlowlogError(.corrupt, why, location: .init(file: archive, offset: offset)) }
        while true {
            let header = try readExactly(block)
            if header.allSatisfy({ $0 == 0 }) { return members }
            func field(_ from: Int, _ length: Int) -> String {
                String(decoding: header[from..<(from + length)].prefix { $0 != 0 }, as: UTF8.self)
            }
            func octal(_ from: Int, _ length: Int) throws -> UInt64 {
                let text = field(from, length).trimmingCharacters(in: " ")
                guard let value = UInt64(text.isEmpty ? "0" : text, radix: 8) else { throw fail("bad octal field in a header") }
                return value
            }
            var checksumless = header
            for i in 148..<156 { checksumless[i] = UInt8(ascii: " ") }
            guard try octal(148, 8) == checksumless.reduce(0, { $0 + UInt64($1) }) else { throw fail("header checksum mismatch") }
            let name = field(345, 155).isEmpty ? field(0, 100) : field(345, 155) + "/" + field(0, 100)
            let size = try octal(124, 12)
            let type = header[156]
            let parts = name.split(separator: "/")
            guard !name.hasPrefix("/"), !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." }) else {
                throw fail("unsafe member name '\(name)'")
            }
            total += size
            guard total <= maximumTotalBytes else { throw fail("archive larger than \(maximumTotalBytes) bytes") }
            let target = destination + "/" + parts.joined(separator: "/")
            switch type {
            case UInt8(ascii: "5"):
                try EvidenceFiles.createDirectory(target)
            case UInt8(ascii: "0"), 0:
                try EvidenceFiles.createDirectory(destination + "/" + parts.dropLast().joined(separator: "/"))
                let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
                guard output >= 0 else { throw EvidenceFiles.error("open", target) }
                defer { close(output) }
                var left = size
                while left > 0 {
                    let piece = try readExactly(Int(min(left, 1 << 20)))
                    try EvidenceFiles.writeAll(output, piece, path: target)
                    left -= UInt64(piece.count)
                }
                let rest = Int(size % UInt64(block))
                if rest != 0 { _ = try readExactly(block - rest) }
                members.append(parts.joined(separator: "/"))
            default:
                throw fail("member '\(name)' is neither a file nor a directory (type \(type))")
            }
        }
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var text = Substring(self)
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}
