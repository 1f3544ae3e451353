// ring-bench: items per second through one ring, one producer thread and one consumer
// thread. Compares FlowRing's SPSCRing against a mutex-protected circular array queue (the same
// batch sizes, the same waiting) measured in the same run. The threads are left to the scheduler
// (Glibc's Swift module does not expose the affinity calls); on a two-core machine they run on
// both cores. Prints one line per comparison:
// `<name>\t<items/s>\t<reference name>\t<reference items/s>`.
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

// MARK: - Items

/// What travels: a plain integer, or the pipeline's real payload (a `FlowRecord`, about 120
/// bytes). The sequence number makes the consumer's checksum prove nothing was lost.
protocol BenchItem {
    init(sequence: UInt64)
    var sequence: UInt64 { get }
}

extension UInt64: BenchItem {
    init(sequence: UInt64) { self = sequence }
    var sequence: UInt64 { self }
}

let flowTemplate = FlowRecord(
    sourceAddress: IPAddress(ipv4: 0x0A00_0001), destinationAddress: IPAddress(ipv4: 0x0A00_0002),
    sourcePort: 40_000, destinationPort: 443, ipProtocol: .tcp,
    start: Timestamp(nanoseconds: 1), end: Timestamp(nanoseconds: 2))

extension FlowRecord: BenchItem {
    init(sequence: UInt64) {
        self = flowTemplate
        packetsOut = sequence
    }
    var sequence: UInt64 { packetsOut }
}

// MARK: - The two queues, behind one face

/// The operations a run needs, so the ring and the reference run the very same loops.
protocol BenchQueue<Item>: AnyObject {
    associatedtype Item: BenchItem
    func push(batch: UnsafeBufferPointer<Item>)
    func push(one item: Item)
    func pop(into buffer: inout [Item], maximum: Int) -> Int
    func popOne() -> Item?
    func finish()
}

extension SPSCRing: BenchQueue where Element: BenchItem {
    func push(batch: UnsafeBufferPointer<Element>) { _ = push(contentsOf: batch) }
    func push(one item: Element) { push(item) }
    func popOne() -> Element? { pop() }
    func finish() { close() }
}

// MARK: - The reference: a circular array behind a mutex

/// The conventional way to hand items between two threads: one lock around a circular array,
/// taken once per batch. Full and empty are handled like the ring's `.wait` (yield and retry).
final class LockedQueue<Element: BenchItem>: BenchQueue, @unchecked Sendable {
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

    func push(batch: UnsafeBufferPointer<Element>) {
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

    func finish() {
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

    func push(one item: Element) {
        withUnsafePointer(to: item) { push(batch: UnsafeBufferPointer(start: $0, count: 1)) }
    }

    func popOne() -> Element? {
        var one: [Element] = []
        one.reserveCapacity(1)
        return pop(into: &one, maximum: 1) == 1 ? one[0] : nil
    }
}

// MARK: - Runs

/// Batched: the producer fills a reused buffer and pushes it; the consumer pops up to `batch`.
func batched<Queue: BenchQueue>(_ queue: Queue, batch: Int) -> Double {
    let sum = Checksum()
    return measure({
        var buffer = [Queue.Item](repeating: Queue.Item(sequence: 0), count: batch)
        var next: UInt64 = 0
        let total = UInt64(items)
        while next < total {
            let count = Int(min(UInt64(batch), total - next))
            buffer.withUnsafeMutableBufferPointer { slots in
                for index in 0..<count { slots[index] = Queue.Item(sequence: next + UInt64(index)) }
                queue.push(batch: UnsafeBufferPointer(rebasing: slots[0..<count]))
            }
            next += UInt64(count)
        }
        queue.finish()
    }, {
        var buffer: [Queue.Item] = []
        buffer.reserveCapacity(batch)
        var total: UInt64 = 0
        while queue.pop(into: &buffer, maximum: batch) > 0 {
            for item in buffer { total &+= item.sequence }
            buffer.removeAll(keepingCapacity: true)
        }
        sum.value = total
    }, check: { sum.value == expectedSum })
}

/// One item per push and per pop.
func single<Queue: BenchQueue>(_ queue: Queue) -> Double {
    let sum = Checksum()
    return measure({
        for value in 0..<UInt64(items) { queue.push(one: Queue.Item(sequence: value)) }
        queue.finish()
    }, {
        var total: UInt64 = 0
        while let item = queue.popOne() { total &+= item.sequence }
        sum.value = total
    }, check: { sum.value == expectedSum })
}

/// Batched pushes as above; the consumer reads the items where they lie in the ring.
func inPlace<Item: BenchItem>(_ ring: SPSCRing<Item>, batch: Int) -> Double {
    let sum = Checksum()
    return measure({
        var buffer = [Item](repeating: Item(sequence: 0), count: batch)
        var next: UInt64 = 0
        let total = UInt64(items)
        while next < total {
            let count = Int(min(UInt64(batch), total - next))
            buffer.withUnsafeMutableBufferPointer { slots in
                for index in 0..<count { slots[index] = Item(sequence: next + UInt64(index)) }
                _ = ring.push(contentsOf: UnsafeBufferPointer(rebasing: slots[0..<count]))
            }
            next += UInt64(count)
        }
        ring.close()
    }, {
        var total: UInt64 = 0
        while ring.consume(maximum: batch, { items in
            for item in items { total &+= item.sequence }
        }) > 0 {}
        sum.value = total
    }, check: { sum.value == expectedSum })
}

func best(_ run: () -> Double) -> Double {
    var result = 0.0
    for _ in 0..<max(repeats, 1) { result = max(result, run()) }
    return result
}

// MARK: - Main

let capacity = 8_192
FileHandleStderr.write("ring-bench: \(items) items per run, best of \(repeats), \(cores) cores, FlowRecord stride \(MemoryLayout<FlowRecord>.stride) bytes\n")
let comparisons: [(String, () -> Double, String, () -> Double)] = [
    ("ring UInt64, batch 256", { batched(SPSCRing<UInt64>(minimumCapacity: capacity, overflowPolicy: .wait), batch: 256) },
     "mutex queue UInt64, batch 256", { batched(LockedQueue<UInt64>(capacity: capacity), batch: 256) }),
    ("ring UInt64, batch 32", { batched(SPSCRing<UInt64>(minimumCapacity: capacity, overflowPolicy: .wait), batch: 32) },
     "mutex queue UInt64, batch 32", { batched(LockedQueue<UInt64>(capacity: capacity), batch: 32) }),
    ("ring UInt64, single items", { single(SPSCRing<UInt64>(minimumCapacity: capacity, overflowPolicy: .wait)) },
     "mutex queue UInt64, single", { single(LockedQueue<UInt64>(capacity: capacity)) }),
    ("ring FlowRecord, batch 256", { batched(SPSCRing<FlowRecord>(minimumCapacity: capacity, overflowPolicy: .wait), batch: 256) },
     "mutex queue FlowRecord, b. 256", { batched(LockedQueue<FlowRecord>(capacity: capacity), batch: 256) }),
    ("ring FlowRecord, batch 256, in place", { inPlace(SPSCRing<FlowRecord>(minimumCapacity: capacity, overflowPolicy: .wait), batch: 256) },
     "mutex queue FlowRecord, b. 256", { batched(LockedQueue<FlowRecord>(capacity: capacity), batch: 256) }),
]
for (name, run, referenceName, reference) in comparisons {
    let figure = best(run)
    let referenceFigure = best(reference)
    print("\(name)\t\(figure)\t\(referenceName)\t\(referenceFigure)")
}
