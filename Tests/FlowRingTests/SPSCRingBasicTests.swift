import Testing
@testable import FlowRing

@Suite("SPSCRing, one thread")
struct SPSCRingBasicTests {
    @Test("capacity rounds up to a power of two", arguments: [(1, 1), (2, 2), (3, 4), (1000, 1024), (1024, 1024)])
    func capacityRoundsUp(requested: Int, expected: Int) {
        let ring = SPSCRing<Int>(minimumCapacity: requested, overflowPolicy: .dropNewest)
        #expect(ring.capacity == expected)
        ring._checkInvariants()
    }

    @Test("single items come out in order across many wrap-arounds")
    func singleItemsWrapAround() {
        let ring = SPSCRing<Int>(minimumCapacity: 4, overflowPolicy: .dropNewest)
        var next = 0
        var expected = 0
        for round in 0..<1000 {
            let burst = round % 4 + 1
            for _ in 0..<burst {
                #expect(ring.push(next))
                next += 1
            }
            for _ in 0..<burst {
                #expect(ring.tryPop() == expected)
                expected += 1
            }
            #expect(ring.tryPop() == nil)
        }
        ring._checkInvariants()
        #expect(ring.statistics.pushed == UInt64(next))
        #expect(ring.statistics.popped == UInt64(expected))
    }

    @Test("a batch that wraps past the end of the slots keeps its order")
    func batchWrapsAround() {
        let ring = SPSCRing<Int>(minimumCapacity: 8, overflowPolicy: .dropNewest)
        var out: [Int] = []
        #expect(ring.push(contentsOf: [0, 1, 2, 3, 4, 5]) == 6)
        #expect(ring.tryPop(into: &out, maximum: 5) == 5)
        // Head is at slot 5: the next 7 items occupy slots 6, 7, 0, 1, 2, 3, 4.
        #expect(ring.push(contentsOf: Array(6..<13)) == 7)
        #expect(ring.count == 8)
        #expect(ring.tryPop(into: &out, maximum: 100) == 8)
        #expect(out == Array(0..<13))
        ring._checkInvariants()
    }

    @Test("reading in place shows the items where they lie, in two pieces when they wrap, then frees the slots")
    func consumeInPlace() {
        let ring = SPSCRing<Int>(minimumCapacity: 8, overflowPolicy: .dropNewest)
        #expect(ring.push(contentsOf: Array(0..<6)) == 6)
        var out: [Int] = []
        #expect(ring.tryPop(into: &out, maximum: 6) == 6)
        #expect(ring.push(contentsOf: Array(6..<13)) == 7)  // slots 6, 7, 0, …, 4
        var pieces: [[Int]] = []
        #expect(ring.tryConsume(maximum: 5) { pieces.append(Array($0)) } == 5)
        #expect(pieces == [[6, 7], [8, 9, 10]])
        #expect(ring.count == 2)
        ring.close()
        pieces = []
        #expect(ring.consume(maximum: 100) { pieces.append(Array($0)) } == 2)
        #expect(ring.consume(maximum: 100) { pieces.append(Array($0)) } == 0)
        #expect(pieces == [[11, 12]])
        #expect(ring.isFinished)
        ring._checkInvariants()
    }

    @Test("items read in place are released once, even when the reader throws")
    func consumeReleases() {
        struct Stop: Error {}
        let tracker = LifeTracker()
        do {
            let ring = SPSCRing<Tracked>(minimumCapacity: 16, overflowPolicy: .wait)
            for _ in 0..<10 { ring.push(Tracked(tracker)) }
            #expect(throws: Stop.self) { try ring.tryConsume(maximum: 4) { _ in throw Stop() } }
            #expect(tracker.alive == 6)
            #expect(ring.count == 6)
        }
        #expect(tracker.alive == 0)
    }

    @Test("drop-newest refuses what does not fit and counts it")
    func dropNewestCounts() {
        let ring = SPSCRing<Int>(minimumCapacity: 8, overflowPolicy: .dropNewest)
        #expect(ring.push(contentsOf: Array(0..<20)) == 8)
        #expect(!ring.push(99))
        var stats = ring.statistics
        #expect(stats.pushed == 8)
        #expect(stats.dropped == 13)
        #expect(stats.producerWaits == 0)

        var out: [Int] = []
        #expect(ring.tryPop(into: &out, maximum: 3) == 3)
        #expect(ring.push(contentsOf: [100, 101, 102, 103]) == 3)
        stats = ring.statistics
        #expect(stats.dropped == 14)
        #expect(stats.maxOccupancy == 8)
        #expect(ring.tryPop(into: &out, maximum: 100) == 8)
        #expect(out == [0, 1, 2, 3, 4, 5, 6, 7, 100, 101, 102])
        ring._checkInvariants()
    }

    @Test("tryPush neither waits nor counts a drop")
    func tryPushOnFull() {
        let ring = SPSCRing<Int>(minimumCapacity: 2, overflowPolicy: .wait)
        #expect(ring.tryPush(1))
        #expect(ring.tryPush(2))
        #expect(!ring.tryPush(3))
        #expect(ring.statistics.dropped == 0)
        #expect(ring.statistics.producerWaits == 0)
    }

    @Test("close: the consumer drains what is left, then sees the end; later pushes are refused")
    func closeThenDrain() {
        let ring = SPSCRing<Int>(minimumCapacity: 16, overflowPolicy: .wait)
        #expect(ring.push(contentsOf: [1, 2, 3, 4, 5]) == 5)
        ring.close()
        ring.close()
        #expect(ring.isClosed)
        #expect(!ring.isFinished)
        #expect(ring.push(contentsOf: [6, 7]) == 0)
        #expect(!ring.push(8))
        var out: [Int] = []
        #expect(ring.pop(into: &out, maximum: 3) == 3)
        #expect(ring.pop(into: &out, maximum: 3) == 2)
        #expect(ring.pop(into: &out, maximum: 3) == 0)
        #expect(ring.pop() == nil)
        #expect(out == [1, 2, 3, 4, 5])
        #expect(ring.isFinished)
        let stats = ring.statistics
        #expect(stats.pushed == 5 && stats.popped == 5 && stats.dropped == 0 && stats.isClosed)
        ring._checkInvariants()
    }

    @Test("items with references are released exactly once: popped ones by the caller, the rest by the ring")
    func referenceElementsAreReleased() {
        let tracker = LifeTracker()
        do {
            let ring = SPSCRing<Tracked>(minimumCapacity: 64, overflowPolicy: .dropNewest)
            var batch: [Tracked] = []
            for _ in 0..<40 { batch.append(Tracked(tracker)) }
            #expect(ring.push(contentsOf: batch) == 40)
            for _ in 0..<30 { ring.push(Tracked(tracker)) }  // 24 fit, 6 dropped
            batch.removeAll()
            var out: [Tracked] = []
            #expect(ring.tryPop(into: &out, maximum: 50) == 50)
            #expect(tracker.alive == 64)
            out.removeAll()
            #expect(tracker.alive == 14)
            #expect(ring.tryPop() != nil)
            #expect(tracker.alive == 13)
        }
        #expect(tracker.alive == 0)
        #expect(tracker.created == 70)
    }

    @Test("statistics describe themselves")
    func statisticsDescription() {
        let ring = SPSCRing<Int>(minimumCapacity: 4, overflowPolicy: .dropNewest)
        _ = ring.push(contentsOf: [1, 2, 3, 4, 5])
        let text = ring.statistics.description
        #expect(text.contains("capacity 4 (drop-newest)"))
        #expect(text.contains("dropped 1"))
        #expect(ring.statistics.occupancy == 4)
    }
}

final class LifeTracker: @unchecked Sendable {
    var created = 0
    var alive = 0
}

final class Tracked {
    let tracker: LifeTracker
    init(_ tracker: LifeTracker) {
        self.tracker = tracker
        tracker.created += 1
        tracker.alive += 1
    }
    deinit { tracker.alive -= 1 }
}
