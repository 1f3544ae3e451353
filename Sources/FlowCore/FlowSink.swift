/// Where a stage hands finished flows: in batches, so a ring or a writer can slot in.
///
/// `accept` takes the batch's elements and leaves `batch` empty (capacity kept), so the
/// producer reuses one buffer and allocates nothing per flow. Use it through generics
/// (`func run<S: FlowSink>(…, sink: inout S)`), never as an existential in a loop.
public protocol FlowSink {
    mutating func accept(_ batch: inout [FlowRecord])
    /// The batch and the DNS answers seen among its flows (each `position` an index into
    /// `batch`, or its count), in stream order; leaves both empty. A sink that only wants flows
    /// need not implement it: the answers are then dropped.
    mutating func accept(_ batch: inout [FlowRecord], resolutions: inout [AddressResolution])
}

extension FlowSink {
    public mutating func accept(_ batch: inout [FlowRecord], resolutions: inout [AddressResolution]) {
        resolutions.removeAll(keepingCapacity: true)
        if batch.isEmpty { return }
        accept(&batch)
    }
}

/// The same for annotated flows (policy → store).
public protocol AnnotatedFlowSink {
    mutating func accept(_ batch: inout [AnnotatedFlow])
    /// Whether `accept` looks at the flows. A sink that only empties the batch says no, so the
    /// stage before it may move the flows into the store instead of copying them.
    var readsFlows: Bool { get }
}

extension AnnotatedFlowSink {
    public var readsFlows: Bool { true }
}

/// Collects everything; for tests and small replays.
public struct CollectingFlowSink: FlowSink, AnnotatedFlowSink {
    public var flows: [FlowRecord] = []
    public var annotated: [AnnotatedFlow] = []
    /// The DNS answers handed on, each `position` counted in `flows`.
    public var resolutions: [AddressResolution] = []
    public init() {}
    public mutating func accept(_ batch: inout [FlowRecord]) {
        flows.append(contentsOf: batch)
        batch.removeAll(keepingCapacity: true)
    }
    public mutating func accept(_ batch: inout [FlowRecord], resolutions batchResolutions: inout [AddressResolution]) {
        for var resolution in batchResolutions {
            resolution.position &+= UInt64(flows.count)
            resolutions.append(resolution)
        }
        batchResolutions.removeAll(keepingCapacity: true)
        accept(&batch)
    }
    public mutating func accept(_ batch: inout [AnnotatedFlow]) {
        annotated.append(contentsOf: batch)
        batch.removeAll(keepingCapacity: true)
    }
}
