import Synchronization

/// The small numbers a producer (the policy engine) already gives an annotation's parts, carried
/// with the annotation so that a consumer (the store's encoder) can recognise parts it met before
/// by indexing an array instead of hashing and comparing identities and traces.
///
/// Numbers are only meaningful within their `space`: a producer takes a space from
/// `AnnotationNumbers.newSpace()` and promises that, within it, one number always stands for one
/// value (identity number 7 is the same identity in every annotation of the space; likewise
/// traces and service names). Two numbers may stand for equal values; a consumer that needs
/// values unique still compares them, once per number. A producer that can no longer keep the
/// promise (it reuses numbers for other values) takes a new space.
///
/// Numbers are dense and small (bounded by the producer's tables), so consumers may index arrays
/// by them; a consumer still checks them against a bound of its own, as they come from outside.
/// Annotations without numbers (`space == 0`: made by hand, decoded from a store, changed after
/// they were made) take the consumer's plain path.
public struct AnnotationNumbers: Hashable, Sendable {
    /// The numbering the numbers belong to; 0: the annotation carries no numbers.
    public var space: UInt64
    public var source: UInt32
    public var destination: UInt32
    /// The destination service's number; 0 stands for "" (no service).
    public var service: UInt32
    /// Trace numbers + 1; 0: no such trace.
    public var egress: UInt32
    public var ingress: UInt32
    public var pendingEgress: UInt32
    public var pendingIngress: UInt32

    public init(space: UInt64, source: UInt32, destination: UInt32, service: UInt32,
                egress: UInt32, ingress: UInt32, pendingEgress: UInt32, pendingIngress: UInt32) {
        self.space = space
        self.source = source
        self.destination = destination
        self.service = service
        self.egress = egress
        self.ingress = ingress
        self.pendingEgress = pendingEgress
        self.pendingIngress = pendingIngress
    }

    /// No numbers: consumers take the plain path.
    public static let absent = AnnotationNumbers(space: 0, source: 0, destination: 0, service: 0,
                                                 egress: 0, ingress: 0, pendingEgress: 0, pendingIngress: 0)

    public var isAbsent: Bool { space == 0 }

    /// A space no other caller in this process has been given (never 0).
    public static func newSpace() -> UInt64 {
        spaces.add(1, ordering: .relaxed).newValue
    }
}

/// The last space handed out (process-wide, so spaces of two engines never meet).
private let spaces = Atomic<UInt64>(0)
