import Crypto
import FlowCore
import Foundation

/// Ed25519 key files: `signing.key` (PKCS#8 PEM, mode 0600) and `signing.pub` (SubjectPublicKeyInfo
/// PEM), the forms OpenSSL reads (`openssl pkey -in signing.key -pubout`), so an auditor can
/// check a signature without flowlog.
public enum SigningKeys {
    public static let privateKeyName = "signing.key"
    public static let publicKeyName = "signing.pub"

    // DER prefixes of RFC 8410 structures for Ed25519 (OID 1.3.101.112), before the 32 key bytes.
    private static let pkcs8Prefix: [UInt8] = [0x30, 0x2E, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70,
                                               0x04, 0x22, 0x04, 0x20]
    private static let spkiPrefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]

    /// Writes a new key pair into `directory`; refuses to overwrite an existing key.
    public static func generate(into directory: String) throws -> (privateKey: String, publicKey: String, fingerprint: String) {
        try EvidenceFiles.createDirectory(directory)
        let key = Curve25519.Signing.PrivateKey()
        let privatePath = directory + "/" + privateKeyName, publicPath = directory + "/" + publicKeyName
        for path in [privatePath, publicPath] where EvidenceFiles.exists(path) {
            throw FlowlogError(.invalidArgument, "already exists; refusing to overwrite a key", location: .init(file: path))
        }
        try EvidenceFiles.writeNew(privatePath, pem("PRIVATE KEY", pkcs8Prefix + Array(key.rawRepresentation)), mode: 0o600)
        try EvidenceFiles.writeNew(publicPath, pem("PUBLIC KEY", spkiPrefix + Array(key.publicKey.rawRepresentation)), mode: 0o644)
        return (privatePath, publicPath, fingerprint(key.publicKey))
    }

    public static func loadPrivateKey(_ path: String) throws -> Curve25519.Signing.PrivateKey {
        let der = try decodePEM(path, label: "PRIVATE KEY", prefix: pkcs8Prefix)
        do { return try Curve25519.Signing.PrivateKey(rawRepresentation: der) } catch {
            throw FlowlogError(.parse, "not an Ed25519 private key: \(error)", location: .init(file: path))
        }
    }

    public static func loadPublicKey(_ path: String) throws -> Curve25519.Signing.PublicKey {
        let der = try decodePEM(path, label: "PUBLIC KEY", prefix: spkiPrefix)
        do { return try Curve25519.Signing.PublicKey(rawRepresentation: der) } catch {
            throw FlowlogError(.parse, "not an Ed25519 public key: \(error)", location: .init(file: path))
        }
    }

    /// Hex SHA-256 of the raw 32-byte public key: names the key in every digest.
    public static func fingerprint(_ key: Curve25519.Signing.PublicKey) -> String {
        Hex.string(SHA256.hash(data: key.rawRepresentation))
    }

    public static func pemText(_ key: Curve25519.Signing.PublicKey) -> String {
        pem("PUBLIC KEY", spkiPrefix + Array(key.rawRepresentation))
    }

    static func pem(_ label: String, _ der: [UInt8]) -> String {
        let base64 = Data(der).base64EncodedString()
        var lines: [String] = []
        var rest = Substring(base64)
        while !rest.isEmpty {
            lines.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        return "-----BEGIN \(label)-----\n" + lines.joined(separator: "\n") + "\n-----END \(label)-----\n"
    }

    private static func decodePEM(_ path: String, label: String, prefix: [UInt8]) throws -> [UInt8] {
        let bytes = try EvidenceFiles.readAll(path, limit: 64 << 10)
        let text = String(decoding: bytes, as: UTF8.self)
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        guard let from = text.range(of: begin), let to = text.range(of: end, range: from.upperBound..<text.endIndex) else {
            throw FlowlogError(.parse, "no '\(begin)' block (an Ed25519 key from `flowlog keys generate`?)", location: .init(file: path))
        }
        let body = text[from.upperBound..<to.lowerBound].filter { !$0.isWhitespace }
        guard let der = Data(base64Encoded: String(body)).map(Array.init), der.count == prefix.count + 32,
              Array(der.prefix(prefix.count)) == prefix else {
            throw FlowlogError(.parse, "not an Ed25519 key (expected RFC 8410 DER inside the PEM block)", location: .init(file: path))
        }
        return Array(der.dropFirst(prefix.count))
    }
}

/// Lower-case hex of bytes.
enum Hex {
    static func string<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: return c - 0x30
            case 0x61...0x66: return c - 0x61 + 10
            case 0x41...0x46: return c - 0x41 + 10
            default: return nil
            }
        }
        var index = 0
        while index < utf8.count {
            guard let high = nibble(utf8[index]), let low = nibble(utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
