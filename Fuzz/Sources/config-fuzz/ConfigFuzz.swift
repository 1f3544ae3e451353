import ConfigAudit
import FlowCore

/// Called by libFuzzer for each input: the same bytes are read as manifests (and judged), as CIS
/// settings, as kube-bench output and as a compliance pack. Each must give a result or errors that say where, never a
/// crash or a hang.
func configFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let limits = ManifestLimits(maxFileBytes: 1 << 20, maxDepth: 64, maxObjects: 1000)
    var reader = ManifestReader(limits: limits)
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

    checkWhere { _ = try CISSettings.load(text: text, name: "fuzz.yaml", limits: limits) }
    checkWhere { _ = try CISBenchmark.kubeBenchResults(text: text, file: "fuzz.yaml", node: "n", limits: limits) }
    checkWhere {
        // A pack that loads must render for a namespace into YAML that reads back.
        let pack = try CompliancePack.load(text: text, name: "fuzz.yaml", limits: limits)
        if let rendered = try? PackRenderer.render(pack, namespaces: ["ns"]) {
            var again = ManifestReader(limits: limits)
            again.read(text: rendered, file: "rendered.yaml")
            guard again.errors.isEmpty else { fatalError("a rendered pack does not read back: \(again.errors)") }
        }
    }
    return 0
}

/// A parse either succeeds or throws `ManifestError` whose every error names the file.
private func checkWhere(_ body: () throws -> Void) {
    do {
        try body()
    } catch let error as ManifestError {
        for e in error.errors where e.location?.file != "fuzz.yaml" { fatalError("error without its file: \(e)") }
    } catch {
        fatalError("unexpected error type \(error)")
    }
}
