import FlowCore

/// The audit store's files. A directory of append-only text files, one version per line:
///
/// ```text
/// AUDIT/
///   LOCK                               flock(2): one writer at a time
///   versions-000000000001.ndjson       sealed: complete, never written again, hashed and signed
///   versions-000000000002.ndjson
///   versions-000000000003.ndjson.open  the file being appended to (at most one)
///   evidence/                          the signed digest chain (see the Evidence module)
/// ```
///
/// Each line is one `ObjectVersion` as a JSON object, ending in `\n`; members in this order
/// (absent ones are omitted, never null, except `object`, `patch` and `previousHash`):
///
/// ```text
/// {"sequence":17,"object_ref":"networkpolicy.projectcalico.org/shop/allow-web",
///  "resource":"networkpolicies","group":"projectcalico.org","namespace":"shop","name":"allow-web",
///  "version":3,"verb":"patch","subresource":"","time":"2026-11-23T07:08:24.123456000Z",
///  "received":"…","auditID":"…","code":200,"user":"alice","groups":["…"],"sourceIP":"10.0.0.9",
///  "userAgent":"kubectl/v1.31.0","node":"","cause":"audit","resourceVersion":"81234",
///  "hash":"<64 hex>","previousHash":"<64 hex>"|null,"patch":[…]|null,"object":{…}|null}
/// ```
///
/// A line is durable once written and synced; a torn last line (a crash mid-write) in the open
/// file is cut off when the store is next opened for writing, and ignored by readers.
public enum AuditStoreFormat {
    static let sealedPrefix = "versions-"
    static let sealedSuffix = ".ndjson"
    static let openSuffix = ".ndjson.open"
    static let lockName = "LOCK"

    /// `versions-000000000042.ndjson` (or `.ndjson.open`) for sequence 42.
    static func fileName(sequence: UInt64, open: Bool) -> String {
        let digits = String(sequence)
        return sealedPrefix + String(repeating: "0", count: max(0, 12 - digits.count)) + digits + (open ? openSuffix : sealedSuffix)
    }

    static func parseFileName(_ name: String) -> (sequence: UInt64, open: Bool)? {
        guard name.hasPrefix(sealedPrefix) else { return nil }
        var stem = name.dropFirst(sealedPrefix.count)
        let open: Bool
        if stem.hasSuffix(openSuffix) {
            open = true
            stem = stem.dropLast(openSuffix.count)
        } else if stem.hasSuffix(sealedSuffix) {
            open = false
            stem = stem.dropLast(sealedSuffix.count)
        } else {
            return nil
        }
        guard !stem.isEmpty, stem.allSatisfy({ $0.isASCII && $0.isNumber }), let sequence = UInt64(stem) else { return nil }
        return (sequence, open)
    }

    /// The sequence of a sealed audit file's name; nil for anything else.
    public static func sealedSequence(of name: String) -> UInt64? {
        guard let parsed = parseFileName(name), !parsed.open else { return nil }
        return parsed.sequence
    }

    public static func isOpenFile(_ name: String) -> Bool { parseFileName(name)?.open == true }

    /// A stored line longer than this is damage, not a version (Kubernetes objects are at most
    /// 1.5 MiB in etcd; a version holds one object and its patch).
    static let maximumLineBytes = 8 << 20
}
