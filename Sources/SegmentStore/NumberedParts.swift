import FlowCore

/// The catalog numbers (`EncoderCatalog`) of the annotation parts a producer numbered
/// (`AnnotationNumbers`), by the producer's numbers, for one numbering space at a time.
///
/// The policy engine numbers identities, service names and traces for its own tables; an
/// annotation carrying those numbers is then numbered by the encoder with a few array reads,
/// where the plain path looked up each part's box in a dictionary, retained it, and hashed the
/// service name. A number is taken apart by value the first time it is met, so equal parts under
/// two numbers still share one catalog number, as on the plain path.
///
/// Forgotten when the space changes (a new engine, or the engine's trace numbers starting
/// afresh) and when the catalog starts afresh (its numbers then name other values). Slots are
/// stamped with a generation, so forgetting costs nothing until the slot is next read.
struct NumberedParts {
    /// Numbers this large are not kept (the caller takes the plain path): the tables grow to
    /// the largest number met, and the numbers come from outside the store.
    static let limit: UInt32 = 1 << 22

    static func holds(_ number: UInt32) -> Bool { number < limit }

    /// The space the kept numbers belong to (0: none yet).
    private(set) var space: UInt64 = 0
    private var identities = StampedTable()
    private var services = StampedTable()
    private var traces = StampedTable()

    mutating func start(space: UInt64) {
        self.space = space
        forget()
    }

    mutating func forget() {
        identities.forget()
        services.forget()
        traces.forget()
    }

    @inline(__always) func identity(_ number: UInt32) -> Int? { identities[number] }
    @inline(__always) func service(_ number: UInt32) -> Int? { services[number] }
    @inline(__always) func trace(_ number: UInt32) -> Int? { traces[number] }

    mutating func setIdentity(_ number: UInt32, _ global: Int) { identities.set(number, global) }
    mutating func setService(_ number: UInt32, _ global: Int) { services.set(number, global) }
    mutating func setTrace(_ number: UInt32, _ global: Int) { traces.set(number, global) }

    /// Catalog numbers by number, each valid while its stamp is the table's generation.
    struct StampedTable {
        private var slots: [(global: Int32, stamp: UInt32)] = []
        private var generation: UInt32 = 1

        @inline(__always)
        subscript(number: UInt32) -> Int? {
            let i = Int(number)
            guard i < slots.count else { return nil }
            let slot = slots[i]
            return slot.stamp == generation ? Int(slot.global) : nil
        }

        mutating func set(_ number: UInt32, _ global: Int) {
            let i = Int(number)
            if i >= slots.count {
                let size = max(i + 1, 2 * slots.count, 256)
                slots.append(contentsOf: repeatElement((global: Int32(0), stamp: UInt32(0)), count: size - slots.count))
            }
            slots[i] = (Int32(truncatingIfNeeded: global), generation)
        }

        mutating func forget() {
            generation &+= 1
            if generation == 0 {
                for i in slots.indices { slots[i].stamp = 0 }
                generation = 1
            }
        }
    }
}
