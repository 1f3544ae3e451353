import FlowCore
import Reports

private let origin = Timestamp(rfc3339: "2026-11-02T09:00:00Z")!

/// Any bytes as a GlobalReport manifest must give reports or located errors, never a crash;
/// every line of the input is also tried as a cron schedule, and a schedule that parses must
/// answer `next` and `runs`.
func reportSpecFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let (specs, errors) = ReportSpecLoader.parse(text: text, file: "fuzz.yaml")
    for error in errors where error.location?.file != "fuzz.yaml" {
        fatalError("error without its file: \(error)")
    }
    for spec in specs {
        guard !spec.name.isEmpty, spec.name.utf8.count <= 253 else { fatalError("accepted a bad name: \(spec.name)") }
        _ = ReportID.make(name: spec.name, type: spec.type, start: origin, end: Timestamp(nanoseconds: origin.nanoseconds + 3_600_000_000_000))
        if let schedule = spec.schedule { exercise(schedule) }
    }
    for line in text.split(separator: "\n").prefix(8) {
        if let schedule = try? CronSchedule(parsing: String(line)) { exercise(schedule) }
    }
    return 0
}

private func exercise(_ schedule: CronSchedule) {
    if let next = schedule.next(after: origin), next <= origin { fatalError("next run \(next) not after \(origin)") }
    let runs = schedule.runs(after: origin, through: Timestamp(nanoseconds: origin.nanoseconds + 86_400_000_000_000), limit: 300)
    for (a, b) in zip(runs, runs.dropFirst()) where a >= b { fatalError("runs out of order: \(a) \(b)") }
}
