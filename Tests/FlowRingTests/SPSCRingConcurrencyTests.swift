import Testing
import FlowRing

/// How each side moves items in a stress run.
enum Transfer: Sendable, CustomStringConvertible {
    case single
    case batch(Int)
    /// Consumer only: read in place with `consume(maximum:_:)`.
    case inPlace(Int)
    var description: String {
        switch self {
        case .single: return "single"
        case .batch(let size): return "batch \(size)"
        case .inPlace(let size): return "in place \(size)"
        }
    }
}

struct StressCase: Sendable, CustomTestStringConvertible {
    var capacity: Int
    var items: Int
    var producer: Transfer
    var consumer: Transfer
    var testDescription: String { "capacity \(capacity), \(items) items, push \(producer), pop \(consumer)" }
}

/// What the consumer saw, written by the consumer thread and read after the join.
final class ConsumerLog: @unchecked Sendable {
    var received = 0
    var outOfOrder = 0
    var lastValue: UInt64?
    var firstBadIndex: Int?

    /// With `.wait` every value must arrive exactly once, in order: value i at position i.
    /// With `.dropNewest` values may be missing but never duplicated or reordered.
    func record(_ value: UInt64, gapsAllowed: Bool) {
        let ok: Bool
        if gapsAllowed {
            ok = lastValue.map { value > $0 } ?? true
        } else {
            ok = value == UInt64(received)
        }
        if !ok {
            outOfOrder += 1
            if firstBadIndex == nil { firstBadIndex = received }
        }
        lastValue = value
        received += 1
    }
}

@Suite("SPSCRing, two threads")
struct SPSCRingConcurrencyTests {
    static let cases: [StressCase] = [
        StressCase(capacity: 1024, items: 4_000_000, producer: .batch(256), consumer: .batch(256)),
        StressCase(capacity: 256, items: 2_000_000, producer: .batch(100), consumer: .batch(37)),
        StressCase(capacity: 4, items: 1_000_000, producer: .batch(3), consumer: .batch(2)),
        StressCase(capacity: 64, items: 2_000_000, producer: .single, consumer: .batch(64)),
        StressCase(capacity: 64, items: 2_000_000, producer: .batch(64), consumer: .single),
        StressCase(capacity: 2, items: 300_000, producer: .single, consumer: .single),
        StressCase(capacity: 1, items: 100_000, producer: .batch(5), consumer: .batch(5)),
        StressCase(capacity: 512, items: 2_000_000, producer: .batch(200), consumer: .inPlace(300)),
        StressCase(capacity: 8, items: 500_000, producer: .single, consumer: .inPlace(3)),
    ]

    @Test("every item arrives exactly once and in order (.wait)", arguments: cases)
    func orderedNoLossNoDuplicates(_ stress: StressCase) {
        let ring = SPSCRing<UInt64>(minimumCapacity: stress.capacity, overflowPolicy: .wait)
        let log = ConsumerLog()
        runConcurrently(
            producer: { produce(stress.items, into: ring, using: stress.producer) },
            consumer: { consume(from: ring, using: stress.consumer, into: log, gapsAllowed: false) })

        #expect(log.received == stress.items)
        #expect(log.outOfOrder == 0, "first wrong value at position \(log.firstBadIndex ?? -1)")
        let stats = ring.statistics
        #expect(stats.pushed == UInt64(stress.items))
        #expect(stats.popped == UInt64(stress.items))
        #expect(stats.dropped == 0)
        #expect(stats.maxOccupancy <= ring.capacity)
        #expect(ring.isFinished)
        ring._checkInvariants()
    }

    @Test("drop-newest under a slow consumer: what arrives is in order, and arrived + dropped = produced")
    func dropNewestConcurrent() {
        let ring = SPSCRing<UInt64>(minimumCapacity: 32, overflowPolicy: .dropNewest)
        let log = ConsumerLog()
        let items = 500_000
        runConcurrently(
            producer: { produce(items, into: ring, using: .batch(16)) },
            consumer: {
                var buffer: [UInt64] = []
                buffer.reserveCapacity(8)
                var turns = 0
                while ring.pop(into: &buffer, maximum: 8) > 0 {
                    for value in buffer { log.record(value, gapsAllowed: true) }
                    buffer.removeAll(keepingCapacity: true)
                    turns += 1
                    // A consumer slower than the producer, so the ring overflows.
                    if turns % 64 == 0 { sched_yield() }
                }
            })
        let stats = ring.statistics
        #expect(log.outOfOrder == 0)
        #expect(UInt64(log.received) == stats.popped)
        #expect(stats.pushed + stats.dropped == UInt64(items))
        #expect(stats.pushed == stats.popped)
        ring._checkInvariants()
    }

    @Test("a producer waiting on a full ring is counted and resumes when the consumer catches up")
    func producerWaitsThenResumes() {
        let ring = SPSCRing<UInt64>(minimumCapacity: 4, overflowPolicy: .wait)
        let log = ConsumerLog()
        runConcurrently(
            producer: { produce(1_000, into: ring, using: .batch(10)) },
            consumer: {
                while ring.count < 4 { sched_yield() }  // the producer has filled the ring: it must wait
                consume(from: ring, using: .batch(3), into: log, gapsAllowed: false)
            })
        #expect(log.received == 1_000)
        #expect(log.outOfOrder == 0)
        #expect(ring.statistics.producerWaits >= 1)
        #expect(ring.statistics.maxOccupancy == 4)
    }

    @Test("a dropping ring can take one push that waits instead (the final flush at shutdown)")
    func waitingPushOnDroppingRing() {
        let ring = SPSCRing<UInt64>(minimumCapacity: 8, overflowPolicy: .dropNewest)
        let log = ConsumerLog()
        runConcurrently(
            producer: {
                let flush = (0..<1_000).map(UInt64.init)
                precondition(ring.push(contentsOf: flush, overflowPolicy: .wait) == 1_000)
                ring.close()
            },
            consumer: {
                usleep(10_000)
                consume(from: ring, using: .batch(5), into: log, gapsAllowed: false)
            })
        #expect(log.received == 1_000)
        #expect(log.outOfOrder == 0)
        #expect(ring.statistics.dropped == 0)
        #expect(ring.statistics.producerWaits >= 1)
    }

    @Test("a consumer waiting on an empty ring is counted and wakes for the first item")
    func consumerWaitsThenWakes() {
        let ring = SPSCRing<UInt64>(minimumCapacity: 8, overflowPolicy: .wait)
        let log = ConsumerLog()
        runConcurrently(
            producer: {
                while ring.statistics.consumerWaits == 0 { sched_yield() }  // the consumer found it empty
                produce(10, into: ring, using: .single)
            },
            consumer: { consume(from: ring, using: .single, into: log, gapsAllowed: false) })
        #expect(log.received == 10)
        #expect(ring.statistics.consumerWaits >= 1)
    }

    @Test("closing from the consumer side releases a producer blocked on a full ring")
    func closeReleasesWaitingProducer() {
        let ring = SPSCRing<UInt64>(minimumCapacity: 8, overflowPolicy: .wait)
        let accepted = ConsumerLog()
        runConcurrently(
            producer: {
                let batch = (0..<100).map(UInt64.init)
                accepted.received = ring.push(contentsOf: batch)
            },
            consumer: {
                while ring.count < 8 { sched_yield() }
                usleep(10_000)
                ring.close()
            })
        #expect(accepted.received == 8)
        #expect(ring.statistics.dropped == 0)
        #expect(ring.isClosed)
    }
}

/// Pushes 0..<count and closes the ring.
func produce(_ count: Int, into ring: SPSCRing<UInt64>, using transfer: Transfer) {
    switch transfer {
    case .single:
        for value in 0..<UInt64(count) {
            let accepted = ring.push(value)
            precondition(accepted || ring.overflowPolicy == .dropNewest, "push refused on an open waiting ring")
        }
    case .batch(let size), .inPlace(let size):
        var batch: [UInt64] = []
        batch.reserveCapacity(size)
        var next: UInt64 = 0
        while next < UInt64(count) {
            batch.removeAll(keepingCapacity: true)
            let end = min(next + UInt64(size), UInt64(count))
            for value in next..<end { batch.append(value) }
            let accepted = ring.push(contentsOf: batch)
            precondition(accepted == batch.count || ring.overflowPolicy == .dropNewest, "batch cut short")
            next = end
        }
    }
    ring.close()
}

/// Pops until the end of the stream, recording each value.
func consume(from ring: SPSCRing<UInt64>, using transfer: Transfer, into log: ConsumerLog, gapsAllowed: Bool) {
    switch transfer {
    case .single:
        while let value = ring.pop() { log.record(value, gapsAllowed: gapsAllowed) }
    case .batch(let size):
        var buffer: [UInt64] = []
        buffer.reserveCapacity(size)
        while ring.pop(into: &buffer, maximum: size) > 0 {
            for value in buffer { log.record(value, gapsAllowed: gapsAllowed) }
            buffer.removeAll(keepingCapacity: true)
        }
    case .inPlace(let size):
        while ring.consume(maximum: size, { items in
            for value in items { log.record(value, gapsAllowed: gapsAllowed) }
        }) > 0 {}
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
