import ConfigAudit
import FlowCore

/// Called by libFuzzer for each input: any bytes read as manifests must give objects and
/// verdicts or errors that say where, never a crash or a hang.
func configFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    var reader = ManifestReader(limits: ManifestLimits(maxFileBytes: 1 << 20, maxDepth: 64, maxObjects: 1000))
    reader.read(text: text, file: "fuzz.yaml")
    for error in reader.errors where error.location?.file != "fuzz.yaml" {
        fatalError("error without its file: \(error)")
    }
    let restricted = PodSecurityAudit(objects: reader.objects, policy: PodSecurityPolicy(level: .restricted), problems: reader.problems)
    let baseline = PodSecurityAudit(objects: reader.objects, policy: PodSecurityPolicy(level: .baseline), problems: reader.problems)
    guard restricted.results.count == baseline.results.count else { fatalError("levels judged different objects") }
    // Restricted is baseline and more: whatever baseline denies, restricted denies too.
    for (r, b) in zip(restricted.results, baseline.results) where !b.allowed && r.allowed {
        fatalError("baseline denies \(b.kind) \(b.name) but restricted allows it")
    }
    for result in restricted.results { _ = PodSecurityReport.jsonLine(result) }
    _ = PodSecurityReport.text(PodSecurityAudit(objects: reader.objects, policy: nil, problems: reader.problems))
    return 0
}
