/// Numbers, within one block, values that `EncoderCatalog` numbers for a writer's life: a
/// block's dictionary lists the values it uses in the order it first met them, and a value met
/// again is found by its catalog number in an array, not by hashing it.
///
/// Slots are stamped with the block's generation, so starting a block (or the catalog starting
/// afresh, which only happens between blocks) forgets every number without clearing the arrays.
struct BlockNumbering {
    private var slot: [Int32] = []
    private var stamp: [UInt32] = []
    private var generation: UInt32 = 1
    /// Catalog numbers of the block's values, in block order.
    private(set) var members: [Int] = []

    var count: Int { members.count }

    /// The block number of catalog value `global`, and whether the block had not met it before.
    @inline(__always)
    mutating func number(of global: Int) -> (number: Int, isNew: Bool) {
        if global >= stamp.count { grow(to: global + 1) }
        if stamp[global] == generation { return (Int(slot[global]), false) }
        let number = members.count
        stamp[global] = generation
        slot[global] = Int32(number)
        members.append(global)
        return (number, true)
    }

    /// The block number of catalog value `global` if the block has met it; numbers nothing.
    @inline(__always)
    func peekNumber(of global: Int) -> Int? {
        global < stamp.count && stamp[global] == generation ? Int(slot[global]) : nil
    }

    /// The block number of a value the block has met (its parts, when it is written).
    func existingNumber(of global: Int) -> Int {
        // (After `rekey`, every value asked for was numbered since: parts are numbered with
        // the value that uses them.)
        precondition(global < stamp.count && stamp[global] == generation, "value not numbered in this block")
        return Int(slot[global])
    }

    /// Forgets which values have numbers but keeps the numbers given (the next value gets the
    /// next number): for a catalog that started afresh, whose numbers now name other values.
    mutating func rekey() {
        generation &+= 1
        if generation == 0 {
            for i in stamp.indices { stamp[i] = 0 }
            generation = 1
        }
    }

    mutating func startBlock() {
        members.removeAll(keepingCapacity: true)
        generation &+= 1
        if generation == 0 {
            for i in stamp.indices { stamp[i] = 0 }
            generation = 1
        }
    }

    private mutating func grow(to size: Int) {
        let capacity = max(size, 2 * stamp.count, 1024)
        stamp.append(contentsOf: repeatElement(0, count: capacity - stamp.count))
        slot.append(contentsOf: repeatElement(0, count: capacity - slot.count))
    }
}
