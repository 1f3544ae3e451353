import FlowCore

/// What one block's rows became while the encoder numbered them: its distinct values, numbered
/// in the order first met, and its records column by column. Nothing here refers to the
/// encoder's state that outlives the block (its catalog, the segment's dictionary numbering),
/// so a block once numbered is laid out (`NumberedBlock.layOut`) on any thread while the
/// encoder numbers the next one.
struct BlockContent {
    /// Annotations by their parts' block numbers (`AnnotationKey`).
    var annotations = DenseNumbering<AnnotationKey>()
    var addresses = DenseNumbering<IPAddress>()
    var conversations = DenseNumbering<BlockEncoder.Conversation>()
    var shapes = DenseNumbering<UInt64>()
    /// Per domain set, in block order: its names' string numbers.
    var domainSetStrings: [[Int]] = []
    // The records, column by column (the time unit is chosen when the block is laid out).
    var conversationColumn: [UInt32] = []
    var ends: [UInt64] = []
    var starts: [UInt64] = []
    var sourcePorts: [UInt16] = []
    var counters: [(UInt64, UInt64, UInt64, UInt64)] = []
    var shapeColumn: [UInt32] = []
    var digestSummary = DigestSummary()

    /// Records in the block.
    var count: Int { ends.count }

    /// Room for `records` records in every record column, so a fresh content filling up does
    /// not copy each column into storage twice as large again and again (each copy faulting
    /// fresh pages in); a content kept from an earlier block mostly has it already.
    mutating func reserveCapacity(records: Int) {
        conversationColumn.reserveCapacity(records)
        ends.reserveCapacity(records)
        starts.reserveCapacity(records)
        sourcePorts.reserveCapacity(records)
        counters.reserveCapacity(records)
        shapeColumn.reserveCapacity(records)
    }

    /// Empties it for another block; arrays and tables keep their storage, so a content handed
    /// back and forth between the encoder and the layout faults no fresh pages in.
    mutating func removeAll() {
        annotations.removeAll()
        addresses.removeAll()
        conversations.removeAll()
        shapes.removeAll()
        domainSetStrings.removeAll(keepingCapacity: true)
        conversationColumn.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        starts.removeAll(keepingCapacity: true)
        sourcePorts.removeAll(keepingCapacity: true)
        counters.removeAll(keepingCapacity: true)
        shapeColumn.removeAll(keepingCapacity: true)
        digestSummary = DigestSummary()
    }
}
