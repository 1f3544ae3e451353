import FlowCore

/// A decoded block's conversations column by column: per conversation, the numbers of its two
/// addresses in the block's address table, its destination port, protocol and VLANs (the
/// fields all its rows share).
///
/// Kept as the decoder unpacked them: a filter tests a conversation's fields where they lie
/// (an address test once per address of the block, not per conversation), and a record is
/// assembled only for a row the scan admits. Building a `FlowRecord` per conversation of every
/// block (about 24,000 of 112 bytes each in a 32768-record block of a large cluster) cost a
/// selective scan more than its filter.
public struct ConversationColumns {
    /// The block's addresses (IPv4 ascending, then IPv6).
    @usableFromInline var addresses: [IPAddress] = []
    /// Per conversation: the numbers of its source and destination in `addresses`.
    @usableFromInline var sources: [UInt64] = []
    @usableFromInline var destinations: [UInt64] = []
    @usableFromInline var ports: [UInt64] = []
    @usableFromInline var protocols: [UInt64] = []
    /// VLAN + 1 and inner VLAN + 1 (0: untagged), as stored.
    @usableFromInline var vlans: [UInt64] = []
    @usableFromInline var innerVLANs: [UInt64] = []

    @usableFromInline init() {}

    /// Conversations in the block.
    @inlinable public var count: Int { sources.count }
    /// Addresses in the block's table.
    @inlinable public var addressCount: Int { addresses.count }
    @inlinable public func address(_ n: Int) -> IPAddress { addresses[n] }
    /// The number in the address table of conversation `c`'s source and destination address.
    @inlinable public func sourceAddressNumber(_ c: Int) -> Int { Int(truncatingIfNeeded: sources[c]) }
    @inlinable public func destinationAddressNumber(_ c: Int) -> Int { Int(truncatingIfNeeded: destinations[c]) }
    @inlinable public func destinationPort(_ c: Int) -> UInt16 { UInt16(truncatingIfNeeded: ports[c]) }
    @inlinable public func ipProtocol(_ c: Int) -> IPProtocol { IPProtocol(rawValue: UInt8(truncatingIfNeeded: protocols[c])) }
    /// `FlowRecord.noVLAN` when untagged.
    @inlinable public func vlan(_ c: Int) -> UInt16 { UInt16(truncatingIfNeeded: vlans[c] &- 1) }
    @inlinable public func innerVLAN(_ c: Int) -> UInt16 { UInt16(truncatingIfNeeded: innerVLANs[c] &- 1) }

    /// Conversation `c`'s shared fields in a record whose other fields are zero.
    @inlinable public func record(_ c: Int) -> FlowRecord {
        FlowRecord(sourceAddress: addresses[Int(truncatingIfNeeded: sources[c])],
                   destinationAddress: addresses[Int(truncatingIfNeeded: destinations[c])],
                   destinationPort: UInt16(truncatingIfNeeded: ports[c]),
                   ipProtocol: IPProtocol(rawValue: UInt8(truncatingIfNeeded: protocols[c])),
                   vlan: UInt16(truncatingIfNeeded: vlans[c] &- 1), innerVLAN: UInt16(truncatingIfNeeded: innerVLANs[c] &- 1),
                   start: .zero, end: .zero)
    }

    /// Lets go of the tables (so the decoder, which shares them, can refill its own in place).
    mutating func removeAll() {
        addresses = []
        sources = []
        destinations = []
        ports = []
        protocols = []
        vlans = []
        innerVLANs = []
    }
}
