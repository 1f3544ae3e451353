import Testing
@testable import FlowCore
#if canImport(Glibc)
import Glibc
#endif

@Suite("Processors this process may use")
struct UsableProcessorsTests {
    @Test("Cpus_allowed_list: ranges and single processors are counted; bad lists give nothing")
    func allowedList() {
        #expect(UsableProcessors.allowedCount(status: "Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n") == 2)
        #expect(UsableProcessors.allowedCount(status: "Cpus_allowed_list:\t0-3,8,10-11\n") == 7)
        #expect(UsableProcessors.allowedCount(status: "Cpus_allowed_list:\t5\n") == 1)
        #expect(UsableProcessors.allowedCount(status: "Cpus_allowed_list:\t3-1\n") == nil)
        #expect(UsableProcessors.allowedCount(status: "Cpus_allowed_list:\tx\n") == nil)
        #expect(UsableProcessors.allowedCount(status: "Name:\tx\n") == nil)
    }

    @Test("cpu.max and CFS quotas round up to whole processors; no quota is no limit")
    func quotas() {
        #expect(UsableProcessors.quota(cpuMax: "max 100000\n") == nil)
        #expect(UsableProcessors.quota(cpuMax: "100000 100000\n") == 1)
        #expect(UsableProcessors.quota(cpuMax: "150000 100000\n") == 2)
        #expect(UsableProcessors.quota(cpuMax: "50000 100000") == 1)
        #expect(UsableProcessors.quota(cpuMax: "garbage") == nil)
        #expect(UsableProcessors.quota(quota: "-1\n", period: "100000\n") == nil)
        #expect(UsableProcessors.quota(quota: "300000\n", period: "100000\n") == 3)
    }

    @Test("the smallest quota on the way from the process's cgroup to the root counts (v2, then v1)")
    func cgroupLevels() {
        let files = [
            "/sys/fs/cgroup/kubepods/pod1/cpu.max": "max 100000\n",
            "/sys/fs/cgroup/kubepods/cpu.max": "400000 100000\n",
            "/sys/fs/cgroup/kubepods/pod1/c1/cpu.max": "120000 100000\n",
            "/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_quota_us": "250000\n",
            "/sys/fs/cgroup/cpu/docker/abc/cpu.cfs_period_us": "100000\n",
        ]
        let read: (String) -> String? = { files[$0] }
        #expect(UsableProcessors.quotaLimit(cgroupMembership: "0::/kubepods/pod1/c1\n", read: read) == 2)
        #expect(UsableProcessors.quotaLimit(cgroupMembership: "0::/kubepods/pod1\n", read: read) == 4)
        #expect(UsableProcessors.quotaLimit(cgroupMembership: "0::/\n", read: read) == nil)
        #expect(UsableProcessors.quotaLimit(cgroupMembership: "4:cpu,cpuacct:/docker/abc\n0::/\n", read: read) == 3)
        #expect(UsableProcessors.quotaLimit(cgroupMembership: "", read: read) == nil)
    }

    @Test("this process: at least one, at most the processors online and those its affinity allows")
    func thisProcess() {
        let count = UsableProcessors.count
        #expect(count >= 1)
        #if canImport(Glibc)
        #expect(count <= Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #endif
        #if os(Linux)
        if let status = UsableProcessors.readText("/proc/thread-self/status"),
           let allowed = UsableProcessors.allowedCount(status: status) {
            #expect(count <= allowed)
        }
        #endif
    }
}
