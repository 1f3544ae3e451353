#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many processors this process may keep busy: the processors online, fewer when its CPU
/// affinity allows fewer (`taskset`, a cpuset), fewer still when its cgroup has a CPU quota (a
/// container's CPU limit, as Kubernetes sets it), the quota rounded up. A scan sized by the
/// processors online alone would start a worker per node core in a pod limited to one CPU.
public enum UsableProcessors {
    /// The processors this process may use now, at least 1.
    public static var count: Int {
        var usable = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #if os(Linux)
        if let status = readText("/proc/thread-self/status") ?? readText("/proc/self/status"),
           let allowed = allowedCount(status: status) {
            usable = min(usable, allowed)
        }
        if let membership = readText("/proc/self/cgroup"), let quota = quotaLimit(cgroupMembership: membership, read: readText) {
            usable = min(usable, quota)
        }
        #endif
        return max(1, usable)
    }

    /// The number of processors in the `Cpus_allowed_list:` line of a `/proc/…/status` text
    /// ("0-3,8,10-11"); nil when there is none or it does not parse.
    static func allowedCount(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var total = 0
        for range in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let bounds = range.split(separator: "-").map { Int($0.trimmingSpaces) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                total += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high, high - low < 1 << 20 else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total > 0 ? total : nil
    }

    /// The smallest CPU quota, rounded up to whole processors, on the path from this process's
    /// cgroup to the root: cgroup v2's `cpu.max` ("max 100000" or "150000 100000") under the
    /// `0::` entry of `/proc/self/cgroup`, else cgroup v1's `cpu.cfs_quota_us` over
    /// `cpu.cfs_period_us` under the `cpu` controller's entry. Nil when no level sets one.
    static func quotaLimit(cgroupMembership: String, read: (String) -> String?) -> Int? {
        var v2: Substring?
        var v1: Substring?
        for line in cgroupMembership.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard parts.count == 3 else { continue }
            if parts[0] == "0" && parts[1].isEmpty { v2 = parts[2] }
            if parts[1].split(separator: ",").contains("cpu") { v1 = parts[2] }
        }
        var limit: Int?
        func consider(_ quota: Int?) {
            if let quota { limit = min(limit ?? quota, quota) }
        }
        if let v2 {
            for directory in levels(of: v2, under: "/sys/fs/cgroup") {
                consider(read(directory + "/cpu.max").flatMap(quota(cpuMax:)))
            }
        }
        if let v1 {
            for directory in levels(of: v1, under: "/sys/fs/cgroup/cpu") {
                if let q = read(directory + "/cpu.cfs_quota_us"), let p = read(directory + "/cpu.cfs_period_us") {
                    consider(quota(quota: q, period: p))
                }
            }
        }
        return limit
    }

    /// Processors a cgroup v2 `cpu.max` text allows, rounded up; nil for "max" or bad text.
    static func quota(cpuMax: String) -> Int? {
        let fields = cpuMax.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count == 2 else { return nil }
        return quota(quota: String(fields[0]), period: String(fields[1]))
    }

    /// Processors a quota over a period allows, rounded up; nil for no quota ("max", -1) or bad text.
    static func quota(quota: String, period: String) -> Int? {
        guard let q = Int(quota.trimmingSpaces), let p = Int(period.trimmingSpaces), q > 0, p > 0 else { return nil }
        return max(1, q / p + (q % p == 0 ? 0 : 1))
    }

    /// `root` + `path`, then each parent directory up to `root` itself.
    private static func levels(of path: Substring, under root: String) -> [String] {
        var components = path.split(separator: "/").map(String.init)
        var result: [String] = []
        while true {
            result.append(components.isEmpty ? root : root + "/" + components.joined(separator: "/"))
            if components.isEmpty { return result }
            components.removeLast()
        }
    }

    /// A small text file whole (at most 64 KiB), nil when it cannot be opened.
    static func readText(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        // These files are a few KiB; the bound keeps a strange one from costing more.
        while bytes.count < 1 << 16 {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

private extension StringProtocol {
    var trimmingSpaces: Substring {
        var text = Substring(self)
        while let first = text.first, first == " " || first == "\t" || first == "\n" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" || last == "\n" { text = text.dropLast() }
        return text
    }
}
