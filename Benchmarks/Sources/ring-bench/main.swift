// ring-bench: items per second through one ring, one producer thread and one consumer
// thread. Compares FlowRing's SPSCRing against a mutex-protected circular array queue (the same
// batch sizes, the same waiting) measured in the same run. The threads are left to the scheduler
// (Glibc's Swift module does not expose the affinity calls); on a two-core machine they run on
// both cores. Prints one line per figure, `<name>\t<items per second>`, the reference first.
//
// Usage: ring-bench [--items N] [--repeat R]
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FlowCore
import FlowRing

// MARK: - Options

var items = 50_000_000
var repeats = 3
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--items": items = Int(arguments.next() ?? "") ?? items
    case "--repeat": repeats = Int(arguments.next() ?? "") ?? repeats
    default:
        FileHandleStderr.write("usage: ring-bench [--items N] [--repeat R]\n")
        exit(2)
    }
}

enum FileHandleStderr {
    static func write(_ text: String) { fputs(text, stderr) }
}

// MARK: - Threads

final class Worker {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }
    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif

    init(_ body: @escaping () -> Void) {
        let run = Body(body)
        let context = Unmanaged.passRetained(run).toOpaque()
        pthread_create(&thread, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
    }

    func join() {
        #if canImport(Darwin)
        pthread_join(thread!, nil)
        #else
        pthread_join(thread, nil)
        #endif
    }
}

let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// Runs producer and consumer on their cores; returns items per second. `check` must hold
/// afterwards (the consumer's checksum), so neither side can be optimised away or lose items.
func measure(_ producer: @escaping () -> Void, _ consumer: @escaping () -> Void, check: () -> Bool) -> Double {
    let start = now()
    let consuming = Worker(consumer)
    let producing = Worker(producer)
    producing.join()
    consuming.join()
    let elapsed = now() - start
    guard check() else {
        FileHandleStderr.write("ring-bench: the consumer's checksum is wrong\n")
        exit(1)
    }
    return Double(items) / elapsed
}

final class Checksum: @unchecked Sendable {
    var value: UInt64 = 0
}

let expectedSum = UInt64(items) * UInt64(items - 1) / 2

// MARK: - The ring

func ringBatched(batch: Int, capacity: Int) -> Double {
    let ring = SPSCRing<UInt64>(minimumCapacity: capacity, overflowPolicy: .wait)
    let sum = Checksum()
    return measure({
        var buffer = [UInt64](repeating: 0, count: batch)
        var next: UInt64 = 0
        let total = UInt64(items)
        while next < total {
            let count = Int(min(UInt64(batch), total - next))
            buffer.withUnsafeMutableBufferPointer { slots in
                for index in 0..<count { slots[index] = next + UInt64(index) }
                _ = ring.push(contentsOf: UnsafeBufferPointer(rebasing: slots[0..<count]))
            }
            next += UInt64(count)
        }
        ring.close()
    }, {
        var buffer: [UInt64] = []
        buffer.reserveCapacity(batch)
        var total: UInt64 = 0
        while ring.pop(into: &buffer, maximum: batch) > 0 {
            for value in buffer { total &+= value }
            buffer.removeAll(keepingCapacity: true)
        }
        sum.value = total
    }, check: { sum.value == expectedSum })
}

func ringSingle(capacity: Int) -> Double {
    let ring = SPSCRing<UInt64>(minimumCapacity: capacity, overflowPolicy: .wait)
    let sum = Checksum()
    return measure({
        for value in 0..<UInt64(items) { ring.push(value) }
        ring.close()
    }, {
        var total: UInt64 = 0
        while let value = ring.pop() { total &+= value }
        sum.value = total
    }, check: { sum.value == expectedSum })
}

/// Flow records, the pipeline's real payload (about 120 bytes each), batched.
func ringFlowRecords(batch: Int, capacity: Int) -> Double {
    let ring = SPSCRing<FlowRecord>(minimumCapacity: capacity, overflowPolicy: .wait)
    let sum = Checksum()
    let template = FlowRecord(
        sourceAddress: IPAddress(ipv4: 0x0A00_0001), destinationAddress: IPAddress(ipv4: 0x0A00_0002),
        sourcePort: 40_000, destinationPort: 443, ipProtocol: .tcp,
        start: Timestamp(nanoseconds: 1), end: Timestamp(nanoseconds: 2))
    return measure({
        var buffer = [FlowRecord](repeating: template, count: batch)
        var next: UInt64 = 0
        let total = UInt64(items)
        while next < total {
            let count = Int(min(UInt64(batch), total - next))
            buffer.withUnsafeMutableBufferPointer { slots in
                for index in 0..<count { slots[index].packetsOut = next + UInt64(index) }
                _ = ring.push(contentsOf: UnsafeBufferPointer(rebasing: slots[0..<count]))
            }
            next += UInt64(count)
        }
        ring.close()
    }, {
        var buffer: [FlowRecord] = []
        buffer.reserveCapacity(batch)
        var total: UInt64 = 0
        while ring.pop(into: &buffer, maximum: batch) > 0 {
            for record in buffer { total &+= record.packetsOut }
            buffer.removeAll(keepingCapacity: true)
        }
        sum.value = total
    }, check: { sum.value == expectedSum })
}

// MARK: - The reference: a circular array behind a mutex

/// The conventional way to hand items between two threads: one lock around a circular array,
/// taken once per batch. Full and empty are handled like the ring's `.wait` (yield and retry).
final class LockedQueue<Element>: @unchecked Sendable {
    private var slots: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    private let lock: UnsafeMutablePointer<pthread_mutex_t>

    init(capacity: Int) {
        slots = Array(repeating: nil, count: capacity)
        lock = .allocate(capacity: 1)
        pthread_mutex_init(lock, nil)
    }
    deinit {
        pthread_mutex_destroy(lock)
        lock.deallocate()
    }

    func push(contentsOf batch: UnsafeBufferPointer<Element>) {
        var done = 0
        while done < batch.count {
            pthread_mutex_lock(lock)
            let room = min(slots.count - count, batch.count - done)
            for offset in 0..<room {
                slots[(head + count + offset) % slots.count] = batch[done + offset]
            }
            count += room
            pthread_mutex_unlock(lock)
            done += room
            if room == 0 { sched_yield() }
        }
    }

    func close() {
        pthread_mutex_lock(lock)
        closed = true
        pthread_mutex_unlock(lock)
    }

    /// Appends up to `maximum` items; 0 only when closed and empty.
    func pop(into buffer: inout [Element], maximum: Int) -> Int {
        while true {
            pthread_mutex_lock(lock)
            let taken = min(count, maximum)
            for _ in 0..<taken {
                buffer.append(slots[head]!)
                head = (head + 1) % slots.count
            }
            count -= taken
            let finished = closed && count == 0
            pthread_mutex_unlock(lock)
            if taken > 0 || finished { return taken }
            sched_yield()
        }
    }
}

func lockedBatched(batch: Int, capacity: Int) -> Double {
    let queue = LockedQueue<UInt64>(capacity: capacity)
    let sum = Checksum()
    return measure({
        var buffer = [UInt64](repeating: 0, count: batch)
        var next: UInt64 = 0
        let total = UInt64(items)
        while next < total {
            let count = Int(min(UInt64(batch), total - next))
            buffer.withUnsafeMutableBufferPointer { slots in
                for index in 0..<count { slots[index] = next + UInt64(index) }
                queue.push(contentsOf: UnsafeBufferPointer(rebasing: slots[0..<count]))
            }
            next += UInt64(count)
        }
        queue.close()
    }, {
        var buffer: [UInt64] = []
        buffer.reserveCapacity(batch)
        var total: UInt64 = 0
        while queue.pop(into: &buffer, maximum: batch) > 0 {
            for value in buffer { total &+= value }
            buffer.removeAll(keepingCapacity: true)
        }
        sum.value = total
    }, check: { sum.value == expectedSum })
}

// MARK: - Run

func best(_ run: () -> Double) -> Double {
    var result = 0.0
    for _ in 0..<max(repeats, 1) { result = max(result, run()) }
    return result
}

FileHandleStderr.write("ring-bench: \(items) items per run, best of \(repeats), \(cores) cores\n")
let reference = best { lockedBatched(batch: 256, capacity: 8192) }
let rows: [(String, Double)] = [
    ("ring UInt64 SPSC, batch 256", best { ringBatched(batch: 256, capacity: 8192) }),
    ("ring UInt64 SPSC, batch 32", best { ringBatched(batch: 32, capacity: 8192) }),
    ("ring UInt64 SPSC, single items", best { ringSingle(capacity: 8192) }),
    ("ring FlowRecord SPSC, batch 256", best { ringFlowRecords(batch: 256, capacity: 8192) }),
]
print("mutex circular array, batch 256\t\(reference)")
for (name, figure) in rows {
    print("\(name)\t\(figure)")
}
