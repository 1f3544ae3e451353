#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What identifies one version of a file without reading it.
struct FileIdentity: Hashable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modifiedSeconds: Int
    var modifiedNanoseconds: Int
}

/// The manifest files behind a list of paths and their identities at one moment.
struct ManifestSnapshot: Equatable {
    var files: [String: FileIdentity] = [:]

    static let manifestExtensions = [".yaml", ".yml", ".json"]

    init(paths: [String]) {
        for path in paths {
            guard let (identity, isDirectory) = Self.identity(of: path) else { continue }
            if !isDirectory {
                files[path] = identity
                continue
            }
            for name in Self.entries(of: path) where Self.isManifestName(name) {
                let file = path.hasSuffix("/") ? path + name : path + "/" + name
                if let (identity, isDirectory) = Self.identity(of: file), !isDirectory {
                    files[file] = identity
                }
            }
        }
    }

    static func isManifestName(_ name: String) -> Bool {
        !name.hasPrefix(".") && manifestExtensions.contains { name.lowercased().hasSuffix($0) }
    }

    /// `stat` (following symlinks): the identity, and whether it is a directory; nil when absent.
    static func identity(of path: String) -> (FileIdentity, Bool)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Darwin)
        let modified = info.st_mtimespec
        #else
        let modified = info.st_mtim
        #endif
        let identity = FileIdentity(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            modifiedSeconds: Int(modified.tv_sec), modifiedNanoseconds: Int(modified.tv_nsec))
        return (identity, (info.st_mode & S_IFMT) == S_IFDIR)
    }

    static func entries(of directory: String) -> [String] {
        guard let stream = opendir(directory) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
