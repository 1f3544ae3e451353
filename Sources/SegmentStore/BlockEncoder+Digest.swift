import FlowCore

/// The digest's tokens of catalog values (nodes, identities, services, traces) and the
/// verdicts of a block's annotations: the part of `BlockDigest.insert`'s tokens that needs the
/// encoder's catalog, so it is made in order, when the block is closed. The rest comes from the
/// block's own tables as it is laid out (`NumberedBlock.includeDistinctValues`). Tokens only go
/// into a set, so which part includes a token first does not matter.
struct CatalogDigestParts {
    var tokens: [UInt64] = []
    var verdicts: [Verdict] = []
}

extension BlockEncoder {
    /// The catalog part of `content`'s digest, each distinct value once.
    func catalogDigestParts(of content: BlockContent) -> CatalogDigestParts {
        var parts = CatalogDigestParts()
        let annotationParts = content.annotations.keys
        // Only the strings the block uses: a segment-wide numbering (version 3) holds the
        // segment's, some of them numbers a catalog that started afresh no longer has.
        func string(_ n: Int) -> String { catalog.stringList[blockStrings.members[n]] }
        var annotationSeen = [Bool](repeating: false, count: annotationParts.count)
        var nodeSeen = [Bool](repeating: false, count: blockStrings.count)
        for conversation in content.conversations.keys {
            let node = conversation.route.node
            if !nodeSeen[node] {
                nodeSeen[node] = true
                let name = string(node)
                if !name.isEmpty { parts.tokens.append(BlockDigest.token(.node, name)) }
            }
            if conversation.annotation > 0 { annotationSeen[conversation.annotation - 1] = true }
        }
        var identitySeen = [UInt8](repeating: 0, count: blockIdentities.count)   // bit 0 source, bit 1 destination
        var traceSeen = [Bool](repeating: false, count: blockTraces.count)
        // A service's token once per block, not once per annotation: a block's few services are
        // named by thousands of annotations, and each token hashes the name's bytes.
        var serviceSeen = [Bool](repeating: false, count: blockStrings.count)
        for (a, seen) in annotationSeen.enumerated() where seen {
            let annotation = annotationParts[a]
            if !parts.verdicts.contains(annotation.verdict) { parts.verdicts.append(annotation.verdict) }
            if identitySeen[annotation.source] & 1 == 0 {
                identitySeen[annotation.source] |= 1
                let tokens = catalog.identityTokens[blockIdentities.members[annotation.source]].source
                parts.tokens.append(tokens.0)
                parts.tokens.append(tokens.1)
                parts.tokens.append(tokens.2)
            }
            if identitySeen[annotation.destination] & 2 == 0 {
                identitySeen[annotation.destination] |= 2
                let tokens = catalog.identityTokens[blockIdentities.members[annotation.destination]].destination
                parts.tokens.append(tokens.0)
                parts.tokens.append(tokens.1)
                parts.tokens.append(tokens.2)
            }
            if !serviceSeen[annotation.service] {
                serviceSeen[annotation.service] = true
                let service = string(annotation.service)
                if !service.isEmpty { parts.tokens.append(BlockDigest.token(.service, service)) }
            }
            // Four calls, not a loop over an array literal: that allocated once per annotation.
            includeTrace(annotation.egress, seen: &traceSeen, in: &parts.tokens)
            includeTrace(annotation.ingress, seen: &traceSeen, in: &parts.tokens)
            includeTrace(annotation.pendingEgress, seen: &traceSeen, in: &parts.tokens)
            includeTrace(annotation.pendingIngress, seen: &traceSeen, in: &parts.tokens)
        }
        return parts
    }

    /// A trace's tokens (`trace`: its block number + 1, 0 for none), once per block.
    @inline(__always)
    private func includeTrace(_ trace: Int, seen: inout [Bool], in tokens: inout [UInt64]) {
        guard trace > 0 && !seen[trace - 1] else { return }
        seen[trace - 1] = true
        tokens.append(contentsOf: catalog.traceTokens[blockTraces.members[trace - 1]])
    }
}

extension NumberedBlock {
    /// Adds what the block's conversations and annotations hold to `digest`, each distinct
    /// value once (see `DigestSummary`): the tokens `BlockDigest.insert` would make of every
    /// flow. Those of catalog values were made when the block was closed (`catalogDigest`).
    func includeDistinctValues(in digest: inout BlockDigest) {
        let addresses = content.addresses.keys
        var sourceSeen = [Bool](repeating: false, count: addresses.count)
        var destinationSeen = sourceSeen
        for conversation in content.conversations.keys {
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
            if conversation.annotation == 0 { digest.include(verdict: .unknown) }
        }
        for verdict in catalogDigest.verdicts { digest.include(verdict: verdict) }
        for token in catalogDigest.tokens { digest.include(token: token) }
    }
}
