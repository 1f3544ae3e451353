import FlowCore

extension BlockEncoder {
    /// Adds what the block's conversations and annotations hold to `digest`, each distinct
    /// value once (see `DigestSummary`): the tokens `BlockDigest.insert` would make of every
    /// flow.
    func includeDistinctValues(in digest: inout BlockDigest) {
        let addresses = self.addresses.keys, annotationParts = annotations.keys
        // Only the strings the block uses: a segment-wide numbering (version 3) holds the
        // segment's, some of them numbers a catalog that started afresh no longer has.
        func string(_ n: Int) -> String { catalog.stringList[blockStrings.members[n]] }
        var sourceSeen = [Bool](repeating: false, count: addresses.count)
        var destinationSeen = sourceSeen
        var annotationSeen = [Bool](repeating: false, count: annotationParts.count)
        var nodeSeen = [Bool](repeating: false, count: blockStrings.count)
        for conversation in conversations.keys {
            let route = conversation.route
            digest.include(protocol: route.ipProtocol)
            digest.include(token: BlockDigest.token(.destinationPort, port: route.destinationPort))
            let source = addresses[route.source], destination = addresses[route.destination]
            // Both sides at the source's version's lengths, as `BlockDigest.insert` does.
            let lengths = source.version == .v4 ? BlockDigest.indexedIPv4PrefixLengths : BlockDigest.indexedIPv6PrefixLengths
            if !sourceSeen[route.source] {
                sourceSeen[route.source] = true
                digest.include(prefixesOf: source, lengths: lengths, as: .sourcePrefix)
            }
            if destination.version != source.version {
                digest.include(prefixesOf: destination, lengths: lengths, as: .destinationPrefix)
            } else if !destinationSeen[route.destination] {
                destinationSeen[route.destination] = true
                digest.include(prefixesOf: destination, lengths: lengths, as: .destinationPrefix)
            }
            if !nodeSeen[route.node] {
                nodeSeen[route.node] = true
                let node = string(route.node)
                if !node.isEmpty { digest.include(token: BlockDigest.token(.node, node)) }
            }
            guard conversation.annotation > 0 else {
                digest.include(verdict: .unknown)
                continue
            }
            annotationSeen[conversation.annotation - 1] = true
        }
        var identitySeen = [UInt8](repeating: 0, count: blockIdentities.count)   // bit 0 source, bit 1 destination
        var traceSeen = [Bool](repeating: false, count: blockTraces.count)
        // A service's token once per block, not once per annotation: a block's few services are
        // named by thousands of annotations, and each token hashes the name's bytes.
        var serviceSeen = [Bool](repeating: false, count: blockStrings.count)
        for (a, seen) in annotationSeen.enumerated() where seen {
            let parts = annotationParts[a]
            digest.include(verdict: parts.verdict)
            if identitySeen[parts.source] & 1 == 0 {
                identitySeen[parts.source] |= 1
                let tokens = catalog.identityTokens[blockIdentities.members[parts.source]].source
                digest.include(token: tokens.0)
                digest.include(token: tokens.1)
                digest.include(token: tokens.2)
            }
            if identitySeen[parts.destination] & 2 == 0 {
                identitySeen[parts.destination] |= 2
                let tokens = catalog.identityTokens[blockIdentities.members[parts.destination]].destination
                digest.include(token: tokens.0)
                digest.include(token: tokens.1)
                digest.include(token: tokens.2)
            }
            if !serviceSeen[parts.service] {
                serviceSeen[parts.service] = true
                let service = string(parts.service)
                if !service.isEmpty { digest.include(token: BlockDigest.token(.service, service)) }
            }
            // Four calls, not a loop over an array literal: that allocated once per annotation.
            includeTrace(parts.egress, seen: &traceSeen, in: &digest)
            includeTrace(parts.ingress, seen: &traceSeen, in: &digest)
            includeTrace(parts.pendingEgress, seen: &traceSeen, in: &digest)
            includeTrace(parts.pendingIngress, seen: &traceSeen, in: &digest)
        }
    }

    /// A trace's tokens (`trace`: its block number + 1, 0 for none), once per block.
    @inline(__always)
    private func includeTrace(_ trace: Int, seen: inout [Bool], in digest: inout BlockDigest) {
        guard trace > 0 && !seen[trace - 1] else { return }
        seen[trace - 1] = true
        for token in catalog.traceTokens[blockTraces.members[trace - 1]] { digest.include(token: token) }
    }
}
