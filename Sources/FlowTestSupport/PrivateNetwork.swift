import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A network namespace of a test's own, its loopback interface up: a capture on its `lo` sees
/// the test's traffic and nothing else. On the machine's `lo` a capture also takes every other
/// suite's loopback traffic (database servers, syslog, browsers), and when a loaded machine
/// starves the reader the kernel drops some of it, which failed a test requiring no drops
/// though every one of its own packets had arrived.
///
/// Made by a thread of its own with `unshare(CLONE_NEWNET)`; `descriptor` (the namespace's
/// `/proc` handle) keeps it alive, with any socket made in it, so it goes when the test lets go
/// of both, even a test that fails half-way, and leaves no name behind. A socket belongs to the
/// namespace of the thread that made it, wherever it is used later, and a thread (or process)
/// starts in the namespace of the thread that made it; `whileJoined` moves the calling thread in
/// for the length of a closure.
///
/// Needs CAP_SYS_ADMIN (root). Tests skip where `make()` fails, unless `required` (CI, where
/// `.ci/run` sets FLOWLOG_REQUIRE_NETNS=1 and runs as root), which makes it a failure.
public final class PrivateNetwork: Sendable {
    /// The namespace's handle (`/proc/thread-self/ns/net` of the thread that made it).
    public let descriptor: Int32

    /// Whether a test that cannot make a namespace must fail rather than skip.
    public static var required: Bool { ProcessInfo.processInfo.environment["FLOWLOG_REQUIRE_NETNS"] == "1" }

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    /// Why a namespace could not be made.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// A new namespace with `lo` up, or why there is none.
    public static func make() -> Result<PrivateNetwork, Unavailable> {
        guard geteuid() == 0 else { return .failure(Unavailable(description: "making a network namespace needs root")) }
        // Written by the thread before `done.signal()`, read after `wait()`.
        final class Outcome: @unchecked Sendable {
            var result: Result<PrivateNetwork, Unavailable> = .failure(Unavailable(description: "not made"))
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        // A thread of its own: `unshare` moves the caller, and this one ends straight after.
        Thread {
            outcome.result = Self.unshareAndRaiseLoopback()
            outcome.done.signal()
        }.start()
        outcome.done.wait()
        return outcome.result
    }

    private static func unshareAndRaiseLoopback() -> Result<PrivateNetwork, Unavailable> {
        typealias Unshare = @convention(c) (Int32) -> Int32
        // glibc declares `unshare` and `setns` only for GNU sources, which Swift's Glibc is not.
        guard let symbol = dlsym(nil, "unshare") else { return .failure(Unavailable(description: "no unshare in libc")) }
        guard unsafeBitCast(symbol, to: Unshare.self)(cloneNewNetwork) == 0 else {
            return .failure(Unavailable(description: "unshare(CLONE_NEWNET): \(String(cString: strerror(errno)))"))
        }
        let handle = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard handle >= 0 else {
            return .failure(Unavailable(description: "/proc/thread-self/ns/net: \(String(cString: strerror(errno)))"))
        }
        let network = PrivateNetwork(descriptor: handle)
        guard let problem = network.setLoopback(up: true) else { return .success(network) }
        return .failure(Unavailable(description: problem))
    }

    /// A new namespace for a test, or nil after printing why it is skipped; throws (failing the
    /// test) when it cannot be made and `required` says it must.
    public static func forTest(_ test: String) throws -> PrivateNetwork? {
        switch make() {
        case .success(let network):
            return network
        case .failure(let reason):
            if required {
                throw Unavailable(description: "FLOWLOG_REQUIRE_NETNS=1 but \(test) has no network namespace: \(reason)")
            }
            print("skipping \(test): no network namespace of its own (\(reason))")
            return nil
        }
    }

    /// Runs `body` with the calling thread in the namespace, then moves it back (a thread left
    /// inside would make every later socket of its in the namespace, so failing to move back
    /// stops the process).
    public func whileJoined<T>(_ body: () throws -> T) throws -> T {
        let home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        guard home >= 0 else { throw Unavailable(description: "/proc/thread-self/ns/net: \(String(cString: strerror(errno)))") }
        defer { close(home) }
        guard Self.join(descriptor) else {
            throw Unavailable(description: "setns into the test's namespace: \(String(cString: strerror(errno)))")
        }
        defer { precondition(Self.join(home), "could not move the thread back to its own network namespace") }
        return try body()
    }

    /// Takes the namespace's `lo` down or up (`SIOCSIFFLAGS`, as `ip link set lo down|up`); nil
    /// when done, else what failed.
    public func setLoopback(up: Bool) -> String? {
        // Written by the thread before `done.signal()`, read after `wait()`.
        final class Outcome: @unchecked Sendable {
            var problem: String?
            let done = DispatchSemaphore(value: 0)
        }
        let outcome = Outcome()
        let descriptor = descriptor
        // On a thread of its own, so the caller's namespace never changes.
        Thread {
            outcome.problem = Self.join(descriptor) ? Self.setFlags(interface: "lo", up: up) : "setns: \(String(cString: strerror(errno)))"
            outcome.done.signal()
        }.start()
        outcome.done.wait()
        return outcome.problem
    }

    private static func setFlags(interface: String, up: Bool) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { name in
            for (i, byte) in interface.utf8.prefix(name.count - 1).enumerated() { name[i] = byte }
        }
        guard ioctl(fd, UInt(SIOCGIFFLAGS), &request) == 0 else { return "SIOCGIFFLAGS \(interface): \(String(cString: strerror(errno)))" }
        let interfaceUp: Int16 = 0x1  // IFF_UP
        request.ifr_ifru.ifru_flags = up ? request.ifr_ifru.ifru_flags | interfaceUp : request.ifr_ifru.ifru_flags & ~interfaceUp
        guard ioctl(fd, UInt(SIOCSIFFLAGS), &request) == 0 else { return "SIOCSIFFLAGS \(interface): \(String(cString: strerror(errno)))" }
        return nil
    }

    private static let cloneNewNetwork: Int32 = 0x4000_0000

    /// `setns(descriptor, CLONE_NEWNET)` for the calling thread.
    private static func join(_ descriptor: Int32) -> Bool {
        typealias SetNamespace = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(nil, "setns") else { return false }
        return unsafeBitCast(symbol, to: SetNamespace.self)(descriptor, cloneNewNetwork) == 0
    }
}
