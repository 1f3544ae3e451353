import Audit
import FlowCore

/// Called by libFuzzer for each input: the bytes as an audit log (lines through the ingest's
/// decoder and the version rules) and as a webhook body. Nothing may crash; every rejection must
/// say why; whatever parses must print back to the same value.
func auditEventFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var builder = VersionBuilder()
    for line in bytes.split(separator: 0x0A, omittingEmptySubsequences: true) {
        switch AuditIngest.decode(line) {
        case .success(let event):
            if case .success(let versions) = builder.versions(for: event) {
                for version in versions {
                    let record = version.record
                    guard let back = try? ObjectVersion(record: JSONParser.parse(record.compactText)), back == version else {
                        fatalError("a version does not read back from its record: \(record.compactText)")
                    }
                }
            }
        case .failure(let failure):
            guard !failure.reason.isEmpty else { fatalError("a rejected line without a reason") }
        }
    }
    do {
        let value = try JSONParser.parse(bytes)
        guard (try? JSONParser.parse(value.compactText)) == value, (try? JSONParser.parse(value.prettyText())) == value else {
            fatalError("JSON does not round-trip: \(value.compactText)")
        }
        _ = try? AuditEvent.events(inBody: value)
        _ = YAMLText.document(value)
    } catch {
        guard !error.reason.isEmpty, error.line >= 1, error.column >= 1 else { fatalError("a parse error without a position: \(error)") }
    }
    return 0
}
