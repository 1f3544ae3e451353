#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Evidence
import FlowCore
import Foundation

/// Called by libFuzzer for each input. What an auditor or an attacker can hand `flowlog verify`:
/// the first byte picks how the rest is read.
/// - 0: a digest file (`SignedDigest`): a digest, or a description of what is malformed.
/// - 1: a bundle archive (`flowlog verify --bundle`): extracted into a fresh directory, never
///   writing outside it, then verified; a verification report or an error naming the archive
///   (or the member) it came from.
/// - 2: a PEM public key file (`--public-key`): a key or an error naming the file.
/// Never a crash or a hang.
func evidenceFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let body = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 3 {
    case 0: digest(body)
    case 1: bundle(body)
    default: publicKey(body)
    }
    return 0
}

private func digest(_ bytes: [UInt8]) {
    do {
        let signed = try SignedDigest(name: "fuzz.digest", bytes: bytes)
        // A parsed digest keeps what it promises: two lines, a 128-digit signature.
        guard signed.signature.utf8.count == 128, bytes.count == signed.body.count + 1 + 128 + 1 else {
            fatalError("a digest accepted with lines that do not add up")
        }
        _ = signed.isSigned(by: fuzzPublicKey)
    } catch {
        guard !error.description.isEmpty else { fatalError("a malformed digest without a reason") }
    }
}

private func bundle(_ bytes: [UInt8]) {
    let scratch = FuzzScratch()
    defer { scratch.remove() }
    let archive = scratch.path + "/bundle.tar"
    let work = scratch.path + "/work"
    guard FileManager.default.createFile(atPath: archive, contents: Data(bytes)),
          (try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: false)) != nil else {
        fatalError("cannot prepare the scratch directory \(scratch.path)")
    }
    do {
        let verification = try EvidenceBundle.verify(archive: archive, workDirectory: work, publicKey: nil)
        _ = verification.passed
    } catch let error as FlowlogError {
        guard let file = error.location?.file, file.hasPrefix(scratch.path) else { fatalError("error without its file: \(error)") }
    } catch {
        fatalError("not a FlowlogError: \(error)")
    }
    // Nothing but the archive and what was extracted under the work directory.
    let names = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path)) ?? []
    guard Set(names).isSubset(of: ["bundle.tar", "work"]) else { fatalError("extraction wrote beside its directory: \(names)") }
}

private func publicKey(_ bytes: [UInt8]) {
    let scratch = FuzzScratch()
    defer { scratch.remove() }
    let path = scratch.path + "/signing.pub"
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fatalError("cannot write \(path)") }
    do {
        let key = try SigningKeys.loadPublicKey(path)
        guard SigningKeys.fingerprint(key).utf8.count == 64 else { fatalError("a fingerprint that is not 64 hex digits") }
    } catch let error as FlowlogError {
        guard error.location?.file == path else { fatalError("error without its file: \(error)") }
    } catch {
        fatalError("not a FlowlogError: \(error)")
    }
}

/// A fresh directory per input, removed afterwards.
private struct FuzzScratch {
    let path: String
    init() {
        var template = Array((NSTemporaryDirectory() + "evidence-fuzz.XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { fatalError("mkdtemp failed: errno \(errno)") }
        path = String(cString: made)
    }
    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A real key, made once: signatures in fuzzed digests are checked against something real.
private let fuzzPublicKey = {
    let scratch = FuzzScratch()
    defer { scratch.remove() }
    do {
        let written = try SigningKeys.generate(into: scratch.path)
        return try SigningKeys.loadPublicKey(written.publicKey)
    } catch {
        fatalError("cannot make the fuzzing key: \(error)")
    }
}()
