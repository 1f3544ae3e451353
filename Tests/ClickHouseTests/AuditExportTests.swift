@testable import ClickHouse
import Audit
import FlowCore
import Testing

/// Audit versions into `audit_versions`: every version once, new ones only on the next pass,
/// and a batch left pending by a crash settled whatever part of it reached the table.
@Suite(.enabled(if: TestServer.available, TestServer.skipReason), .serialized)
struct AuditExportTests {
    /// An audit store with `count` versions of a few network policies (creates, updates, deletes).
    static func writeStore(_ directory: String, count: Int, startingAt first: Int = 0) throws {
        let store = try AuditStore(directory: directory, sealAfterBytes: 4 << 10)
        let resource = AuditedResource.find(resource: "networkpolicies", group: "projectcalico.org")!
        for i in first..<(first + count) {
            let key = ObjectKey(resource: resource, namespace: "shop-\(i % 3)", name: "policy-\(i % 7)")
            let object = i % 11 == 10 ? nil : try JSONParser.parse("""
                {"apiVersion":"projectcalico.org/v3","kind":"NetworkPolicy","metadata":{"name":"policy-\(i % 7)",\
                "namespace":"shop-\(i % 3)","resourceVersion":"\(1000 + i)"},"spec":{"order":\(i),"selector":"app == 'web-\(i)'"}}
                """)
            try store.record(key, object: object, author: AuditAuthor(username: "user-\(i % 4)", groups: ["system:authenticated"]),
                             auditID: "audit-\(i)", time: Timestamp(nanoseconds: 1_795_000_000_000_000_000 + UInt64(i) * 1_000_000_000),
                             cause: .audit)
        }
        try store.close()
    }

    func exporter(_ audit: String, database: String, batchRows: Int = 25) throws -> AuditVersionExporter {
        var options = AuditVersionExporter.Options(auditDirectory: audit)
        options.database = database
        options.batchRows = batchRows
        return try AuditVersionExporter(options: options, client: try TestServer.client(), log: { _ in })
    }

    @Test func everyVersionOnceThenOnlyNewOnes() throws {
        let client = try TestServer.client()
        let audit = TestStore.temporaryDirectory("audit")
        defer { TestStore.remove(audit) }
        try Self.writeStore(audit, count: 120)
        let stored = try AuditStoreReader.load(directory: audit)
        #expect(stored.count > 60)
        let database = try TestServer.freshDatabase("audit", on: [client])
        var e = try exporter(audit, database: database)
        try e.prepare()
        #expect(try e.exportAvailable() == UInt64(stored.count))
        #expect(try e.exportAvailable() == 0)
        e.close()
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).audit_versions") == UInt64(stored.count))
        #expect(try TestServer.count(client, "SELECT uniqExact(sequence) FROM \(database).audit_versions") == UInt64(stored.count))
        // Every field as stored: the object's JSON text and hash, the author, the chain.
        let last = stored.last!
        let row = String(decoding: try client.execute("SELECT object_ref, version, verb, user, hash, previous_hash, object FROM \(database).audit_versions"
            + " WHERE sequence = \(last.sequence) FORMAT TSVRaw"), as: UTF8.self)
        #expect(row == [last.key.description, String(last.version), last.verb, last.author.username, last.hash, last.previousHash ?? "",
                        last.object?.compactText ?? ""].joined(separator: "\t") + "\n")

        // More versions later: a restarted exporter sends only those.
        try Self.writeStore(audit, count: 30, startingAt: 120)
        let all = try AuditStoreReader.load(directory: audit)
        e = try exporter(audit, database: database)
        try e.prepare()
        #expect(try e.exportAvailable() == UInt64(all.count - stored.count))
        e.close()
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).audit_versions") == UInt64(all.count))
        try client.execute("DROP DATABASE \(database)")
    }

    @Test(arguments: ["none", "half", "all"])
    func aPendingBatchIsSettledWhateverReachedTheTable(present: String) throws {
        let client = try TestServer.client()
        let audit = TestStore.temporaryDirectory("audit-pending-\(present)")
        defer { TestStore.remove(audit) }
        try Self.writeStore(audit, count: 80)
        let stored = try AuditStoreReader.load(directory: audit)
        let database = try TestServer.freshDatabase("audit_pending_\(present)", on: [client])
        var e = try exporter(audit, database: database, batchRows: 1_000)
        try e.prepare()
        _ = try e.exportAvailable()
        let path = e.checkpointPath
        var checkpoint = e.checkpoint
        e.close()
        switch present {
        case "none": try client.execute("ALTER TABLE \(database).audit_versions DELETE WHERE 1")
        case "half": try client.execute("ALTER TABLE \(database).audit_versions DELETE WHERE sequence % 2 = 0")
        default: break
        }
        while try TestServer.count(client, "SELECT count() FROM system.mutations WHERE database = '\(database)' AND is_done = 0") > 0 {}
        // Rewind the checkpoint to "sent, not confirmed".
        checkpoint.exported = 0
        checkpoint.rowsExported = 0
        checkpoint.pending = .init(first: stored.first!.sequence, last: stored.last!.sequence, rows: UInt64(stored.count), queryID: "flowlog-audit-test")
        try checkpoint.store(path)

        e = try exporter(audit, database: database, batchRows: 1_000)
        try e.prepare()
        #expect(e.checkpoint.pending == nil && e.checkpoint.exported == stored.last!.sequence)
        #expect(try e.exportAvailable() == 0)
        e.close()
        #expect(try TestServer.count(client, "SELECT count() FROM \(database).audit_versions") == UInt64(stored.count))
        #expect(try TestServer.count(client, "SELECT uniqExact(sequence) FROM \(database).audit_versions") == UInt64(stored.count))
        try client.execute("DROP DATABASE \(database)")
    }

    @Test func theCheckpointRoundTripsAndDamageIsFound() throws {
        var c = AuditExportCheckpoint(storeID: String(repeating: "ab", count: 16), target: "127.0.0.1:8123 flowlog audit_versions")
        c.exported = 41
        c.rowsExported = 41
        c.pending = .init(first: 42, last: 99, rows: 58, queryID: "flowlog-audit-x-42")
        #expect(try AuditExportCheckpoint.decode(c.encoded(), file: "c") == c)
        var damaged = c.encoded()
        damaged[damaged.count / 2] ^= 1
        #expect(throws: FlowlogError.self) { _ = try AuditExportCheckpoint.decode(damaged, file: "c") }
    }
}
