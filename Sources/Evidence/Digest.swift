import Audit
import Crypto
import FlowCore

/// One link of the chain: the files sealed and retired since the previous digest, signed.
///
/// File layout (`STORE/evidence/000000000042-20261123T070824Z.digest`, names sort in chain
/// order), two lines:
///
/// ```text
/// {"version":1,"store":"flows","sequence":42,…}\n      line 1: the digest, compact JSON
/// <128 hex digits: Ed25519 signature>\n                  line 2: the signature
/// ```
///
/// Line 1's members, in this order (CloudTrail's digest fields are the anchor):
///
/// ```text
/// version                     1
/// store                       "flows" | "audit"
/// sequence                    1, 2, 3, … with no gaps
/// digestStartTime             previous digest's end (this digest's first: the chain's start)
/// digestEndTime               when this digest was written (RFC 3339, UTC)
/// digestFile                  "evidence/<this file's name>"
/// digestPublicKeyFingerprint  hex SHA-256 of the raw 32-byte Ed25519 public key
/// digestSignatureAlgorithm    "Ed25519"
/// previousDigestFile          "evidence/<name>" | null for the first
/// previousDigestHashValue     hex SHA-256 of the previous digest's line 1 | null
/// previousDigestHashAlgorithm "SHA-256"
/// previousDigestSignature     the previous digest's line 2 | null
/// oldestEventTime             over `files` | null when empty
/// newestEventTime             over `files` | null when empty
/// files                       [{name, hashValue, hashAlgorithm, bytes, oldestEventTime, newestEventTime}]
/// retired                     [{name, hashValue}]: deleted by retention after this digest
/// ```
///
/// The signature is Ed25519 over the four lines CloudTrail signs, joined by `\n`:
/// `digestEndTime`, `digestFile`, hex SHA-256 of line 1, and the previous signature in hex
/// (`null` for the first). Ed25519 hashes internally, so the string itself is signed.
public struct Digest: Sendable, Hashable {
    public struct FileEntry: Sendable, Hashable {
        public var name: String
        public var hash: String
        public var bytes: UInt64
        public var oldest: Timestamp
        public var newest: Timestamp
    }

    public struct RetiredEntry: Sendable, Hashable {
        public var name: String
        public var hash: String
    }

    public var store: EvidenceStoreKind
    public var sequence: UInt64
    public var start: Timestamp
    public var end: Timestamp
    /// `evidence/<name>`.
    public var file: String
    public var fingerprint: String
    public var previousFile: String?
    public var previousHash: String?
    public var previousSignature: String?
    public var files: [FileEntry]
    public var retired: [RetiredEntry]

    public static let directoryName = "evidence"
    public static let suffix = ".digest"

    /// `000000000042-20261123T070824Z.digest`.
    public static func fileName(sequence: UInt64, end: Timestamp) -> String {
        let digits = String(sequence)
        let stamp = end.rfc3339.prefix(19).filter { $0 != "-" && $0 != ":" }
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits + "-" + stamp + "Z" + suffix
    }

    public var json: JSONValue {
        func time(_ t: Timestamp) -> JSONValue { .string(t.rfc3339) }
        func optional(_ text: String?) -> JSONValue { text.map { .string($0) } ?? .null }
        let oldest = files.map(\.oldest).min(), newest = files.map(\.newest).max()
        return .object([
            .init("version", .number("1")),
            .init("store", .string(store.rawValue)),
            .init("sequence", .number(String(sequence))),
            .init("digestStartTime", time(start)),
            .init("digestEndTime", time(end)),
            .init("digestFile", .string(file)),
            .init("digestPublicKeyFingerprint", .string(fingerprint)),
            .init("digestSignatureAlgorithm", .string("Ed25519")),
            .init("previousDigestFile", optional(previousFile)),
            .init("previousDigestHashValue", optional(previousHash)),
            .init("previousDigestHashAlgorithm", .string("SHA-256")),
            .init("previousDigestSignature", optional(previousSignature)),
            .init("oldestEventTime", oldest.map(time) ?? .null),
            .init("newestEventTime", newest.map(time) ?? .null),
            .init("files", .array(files.map { entry in
                .object([.init("name", .string(entry.name)), .init("hashValue", .string(entry.hash)),
                         .init("hashAlgorithm", .string("SHA-256")), .init("bytes", .number(String(entry.bytes))),
                         .init("oldestEventTime", time(entry.oldest)), .init("newestEventTime", time(entry.newest))])
            })),
            .init("retired", .array(retired.map { .object([.init("name", .string($0.name)), .init("hashValue", .string($0.hash))]) })),
        ])
    }

    /// The four lines that are signed.
    public static func stringToSign(end: Timestamp, file: String, bodyHash: String, previousSignature: String?) -> String {
        [end.rfc3339, file, bodyHash, previousSignature ?? "null"].joined(separator: "\n")
    }

    public static func sha256Hex(_ bytes: [UInt8]) -> String { Hex.string(SHA256.hash(data: bytes)) }
}

/// A digest file as read back: its two lines and what they say.
public struct SignedDigest: Sendable {
    public var name: String
    public var body: [UInt8]
    public var signature: String
    public var digest: Digest
    public var bodyHash: String { Digest.sha256Hex(body) }

    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Parses a digest file's bytes; `name` is the file's own name.
    public init(name: String, bytes: [UInt8]) throws(Malformed) {
        self.name = name
        guard bytes.last == 0x0A else { throw Malformed(description: "does not end with a newline (truncated?)") }
        let lines = bytes.dropLast().split(separator: 0x0A, omittingEmptySubsequences: false)
        guard lines.count == 2 else { throw Malformed(description: "has \(lines.count) line(s), not 2 (digest and signature)") }
        body = Array(lines[0])
        signature = String(decoding: lines[1], as: UTF8.self)
        guard signature.utf8.count == 128, Hex.bytes(signature) != nil else { throw Malformed(description: "line 2 is not a hex Ed25519 signature") }
        let json: JSONValue
        do { json = try JSONParser.parse(body, limits: .init(maximumDepth: 8, maximumBytes: 64 << 20)) } catch {
            throw Malformed(description: "line 1 is not JSON: \(error)")
        }
        digest = try Self.decode(json)
    }

    private static func decode(_ json: JSONValue) throws(Malformed) -> Digest {
        func text(_ key: String, in object: JSONValue = json) throws(Malformed) -> String {
            guard let value = object[key]?.stringValue else { throw Malformed(description: "\(key) missing or not a string") }
            return value
        }
        func optionalText(_ key: String) throws(Malformed) -> String? {
            guard let value = json[key], value != .null else { return nil }
            guard let text = value.stringValue else { throw Malformed(description: "\(key) is not a string") }
            return text
        }
        func time(_ key: String, in object: JSONValue = json) throws(Malformed) -> Timestamp {
            let value = try text(key, in: object)
            guard let stamp = Timestamp(rfc3339: value) else { throw Malformed(description: "\(key) is not an RFC 3339 time") }
            return stamp
        }
        func number(_ key: String, in object: JSONValue = json) throws(Malformed) -> UInt64 {
            guard let value = object[key]?.integerValue, value >= 0 else { throw Malformed(description: "\(key) missing or not a count") }
            return UInt64(value)
        }
        guard json["version"]?.integerValue == 1 else { throw Malformed(description: "version is not 1") }
        guard let store = EvidenceStoreKind(rawValue: try text("store")) else { throw Malformed(description: "store is neither flows nor audit") }
        var files: [Digest.FileEntry] = []
        for item in json["files"]?.arrayValue ?? [] {
            files.append(Digest.FileEntry(name: try text("name", in: item), hash: try text("hashValue", in: item),
                                          bytes: try number("bytes", in: item), oldest: try time("oldestEventTime", in: item),
                                          newest: try time("newestEventTime", in: item)))
        }
        var retired: [Digest.RetiredEntry] = []
        for item in json["retired"]?.arrayValue ?? [] {
            retired.append(Digest.RetiredEntry(name: try text("name", in: item), hash: try text("hashValue", in: item)))
        }
        return Digest(store: store, sequence: try number("sequence"), start: try time("digestStartTime"), end: try time("digestEndTime"),
                      file: try text("digestFile"), fingerprint: try text("digestPublicKeyFingerprint"),
                      previousFile: try optionalText("previousDigestFile"), previousHash: try optionalText("previousDigestHashValue"),
                      previousSignature: try optionalText("previousDigestSignature"), files: files, retired: retired)
    }

    /// True when the signature is `key`'s over this digest's string to sign.
    public func isSigned(by key: Curve25519.Signing.PublicKey) -> Bool {
        guard let signatureBytes = Hex.bytes(signature) else { return false }
        let message = Digest.stringToSign(end: digest.end, file: digest.file, bodyHash: bodyHash, previousSignature: digest.previousSignature)
        return key.isValidSignature(signatureBytes, for: Array(message.utf8))
    }
}
