import FlowCore
import FlowRing

/// One capture thread's hand-over to the deciding thread: its flows, and the DNS answers seen
/// among them, in stream order.
///
/// Two single-producer single-consumer rings: flows (trivially copyable records, the hot path,
/// unchanged) and answers, each answer tagged with the number of flows pushed before it. The
/// producer pushes an answer before any flow after it, so once the consumer holds a flow it can
/// also see every answer placed before that flow; it hands each batch on with the answers that
/// precede or fall among its flows, positions rebased to the batch. An answer placed after every
/// flow so far is handed on without waiting for more flows, so neither ring can fill up while
/// the consumer waits on the other.
///
/// `@unchecked Sendable`: the rings are sendable; `consumedFlows` and `held` are touched only by
/// the one consumer thread (the same contract as the rings' own consumer side).
final class FlowChannel: @unchecked Sendable {
    let flows: SPSCRing<FlowRecord>
    let resolutions: SPSCRing<AddressResolution>
    /// Flows taken so far (consumer side).
    private var consumedFlows: UInt64 = 0
    /// An answer taken from its ring that belongs after flows not yet taken (consumer side).
    private var held: AddressResolution?

    /// Answer slots for a ring of `flowCapacity` flows: DNS responses are a small part of any
    /// traffic, and a full answer ring only makes the producer wait (or drop, live).
    static func resolutionCapacity(forFlows flowCapacity: Int) -> Int { min(max(flowCapacity / 16, 1 << 10), 1 << 14) }

    /// `answerCapacity`: slots for DNS answers; nil sizes them by `resolutionCapacity(forFlows:)`.
    init(capacity: Int, answerCapacity: Int? = nil, overflowPolicy: RingOverflowPolicy) {
        flows = SPSCRing(minimumCapacity: capacity, overflowPolicy: overflowPolicy)
        resolutions = SPSCRing(minimumCapacity: answerCapacity ?? Self.resolutionCapacity(forFlows: capacity),
                               overflowPolicy: overflowPolicy)
    }

    // MARK: - Producer

    /// Pushes `batch` with the answers placed among its flows (positions relative to `batch`),
    /// each answer before the flows after it. Returns how many flows went in.
    @discardableResult
    func push(_ batch: [FlowRecord], resolutions placed: [AddressResolution], overflowPolicy: RingOverflowPolicy) -> Int {
        guard !placed.isEmpty else { return flows.push(contentsOf: batch, overflowPolicy: overflowPolicy) }
        var pushed = 0, from = 0
        batch.withUnsafeBufferPointer { all in
            for var resolution in placed {
                let to = min(Int(clamping: resolution.position), all.count)
                if to > from {
                    pushed += flows.push(contentsOf: UnsafeBufferPointer(rebasing: all[from..<to]), overflowPolicy: overflowPolicy)
                    from = to
                }
                // Counted in flows that really went in: a dropped flow takes no place.
                resolution.position = flows.statistics.pushed
                _ = withUnsafePointer(to: resolution) {
                    resolutions.push(contentsOf: UnsafeBufferPointer(start: $0, count: 1), overflowPolicy: overflowPolicy)
                }
            }
            if from < all.count {
                pushed += flows.push(contentsOf: UnsafeBufferPointer(rebasing: all[from...]), overflowPolicy: overflowPolicy)
            }
        }
        return pushed
    }

    /// A sixteenth of either ring's slots are taken: a pacing consumer should come now, long
    /// before a dropping ring would drop.
    var isFilling: Bool {
        flows.count >= max(1, flows.capacity / 16) || resolutions.count >= max(1, resolutions.capacity / 16)
    }

    /// The end of the stream (either side; see `SPSCRing.close`).
    func close() {
        resolutions.close()
        flows.close()
    }

    // MARK: - Consumer

    /// Moves up to `maximum` flows to the end of `batch` and the answers placed before or among
    /// them to the end of `placed` (positions rebased to `batch`'s new flows), without waiting.
    /// Returns the flows and answers moved; 0 when nothing was ready.
    func tryTake(into batch: inout [FlowRecord], resolutions placed: inout [AddressResolution], maximum: Int) -> Int {
        let first = batch.count
        let taken = flows.tryPop(into: &batch, maximum: maximum)
        let end = consumedFlows &+ UInt64(taken)
        var answers = 0
        while true {
            if held == nil { held = resolutions.tryPop() }
            guard var resolution = held, resolution.position <= end else { break }
            held = nil
            resolution.position = resolution.position &- consumedFlows &+ UInt64(first)
            placed.append(resolution)
            answers += 1
        }
        consumedFlows = end
        return taken + answers
    }

    /// `tryTake`, waiting (spin, yield, then short sleeps) until something is ready. Returns 0
    /// only when the stream is over: closed, and everything taken.
    func take(into batch: inout [FlowRecord], resolutions placed: inout [AddressResolution], maximum: Int) -> Int {
        var backoff = RingBackoff()
        while true {
            let moved = tryTake(into: &batch, resolutions: &placed, maximum: maximum)
            if moved > 0 { return moved }
            if flows.isClosed {
                // Everything pushed before `close` is visible now: one last look.
                return tryTake(into: &batch, resolutions: &placed, maximum: maximum)
            }
            backoff.pause()
        }
    }

    /// Something is waiting to be taken (consumer side).
    var hasWaiting: Bool { held != nil || flows.count > 0 || resolutions.count > 0 }

    /// Closed, and every flow and answer taken.
    var isFinished: Bool { flows.isFinished && resolutions.isFinished && held == nil }
}
