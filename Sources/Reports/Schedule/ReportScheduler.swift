import FlowCore
import Foundation
import Policy

/// Runs scheduled reports into the archive: every interval of each report's cron schedule that
/// ended at least `delay` ago and is not archived yet, oldest first. After downtime, a suspend
/// or a host asleep, the next pass catches up every missed interval (at most `catchUpLimit` per
/// report and pass; the rest follow on the next pass).
public struct ReportScheduler: Sendable {
    public let archive: ReportArchive
    /// Flows of an interval keep arriving after it ends (flows are stored when they expire), so a
    /// report runs this long after its end; Calico waits 30 minutes.
    public var delay: Duration
    public var catchUpLimit: Int
    public var builder: ReportBuilder

    /// `cis`: what cis-benchmark reports judge (nil skips them).
    public init(dataDirectory: String, delay: Duration = .seconds(1_800), catchUpLimit: Int = 1_000,
                privateNetworks: PrivateNetworks = .standard, cis: CISInput? = nil) {
        archive = ReportArchive(dataDirectory: dataDirectory)
        self.delay = delay
        self.catchUpLimit = catchUpLimit
        builder = ReportBuilder(privateNetworks: privateNetworks, dataDirectory: dataDirectory, cis: cis)
    }

    /// What one pass did.
    public struct Pass: Sendable {
        public var written: [String] = []
        /// Reports that cannot run here (no schedule, a type needing history or CIS data), with why.
        public var skipped: [(name: String, reason: String)] = []
        public var failures: [(name: String, error: String)] = []
    }

    /// The wall clock, UTC.
    public static func now() -> Timestamp {
        let t = Date().timeIntervalSince1970
        return Timestamp(nanoseconds: UInt64(max(0, t) * 1e9))
    }

    /// The intervals of `spec` due at `now`: consecutive schedule ticks after `lastEnd` (or,
    /// for a report never run, after the first tick following `firstSeen`) up to `now - delay`.
    public func dueIntervals(_ spec: ReportSpec, firstSeen: Timestamp, lastEnd: Timestamp?, now: Timestamp) -> [(start: Timestamp, end: Timestamp)] {
        guard let schedule = spec.schedule, !spec.suspend else { return [] }
        let wait = UInt64(max(0, delay.components.seconds)) &* 1_000_000_000
        guard now.nanoseconds > wait else { return [] }
        let horizon = Timestamp(nanoseconds: now.nanoseconds - wait)
        guard let first = lastEnd ?? schedule.next(after: firstSeen) else { return [] }
        var start = first
        var out: [(Timestamp, Timestamp)] = []
        for end in schedule.runs(after: first, through: horizon, limit: catchUpLimit) {
            out.append((start, end))
            start = end
        }
        return out
    }

    /// One pass over `specs` at `now`. The policy state is read (`states`) only when some report
    /// is due. Records when each report was first seen before running anything, so a report
    /// added now starts at the next tick.
    public func runDue(_ specs: [ReportSpec], now: Timestamp, states loadStates: () throws -> PolicyStateSource) throws -> Pass {
        var pass = Pass()
        var state = try ScheduleState.load(archive)
        var changed = false
        for spec in specs where state.firstSeen[spec.name] == nil {
            state.firstSeen[spec.name] = now
            changed = true
        }
        if changed { try state.save(archive) }
        let archived = try archive.list()
        var loaded: PolicyStateSource?
        for spec in specs {
            if spec.schedule == nil {
                pass.skipped.append((spec.name, "it has no schedule"))
                continue
            }
            if spec.type == .cisBenchmark, builder.cis == nil {
                pass.skipped.append((spec.name, "cis-benchmark reports need the cluster manifests"))
                continue
            }
            let due = dueIntervals(spec, firstSeen: state.firstSeen[spec.name] ?? now,
                                   lastEnd: archive.lastEnd(of: spec.name, in: archived), now: now)
            if due.isEmpty { continue }
            let states: PolicyStateSource
            if let loaded { states = loaded } else {
                do {
                    states = try loadStates()
                    loaded = states
                } catch {
                    pass.failures.append((spec.name, "\(error)"))
                    continue
                }
            }
            if spec.type == .policyAudit, states.provenance.kind != .history {
                pass.skipped.append((spec.name, "policy-audit reports need the policy version history"))
                continue
            }
            for interval in due {
                do {
                    let document = try builder.build(spec, states: states, start: interval.start, end: interval.end, generated: now)
                    try archive.store(document)
                    pass.written.append(document.id)
                } catch {
                    // The rest of this report's intervals wait for the next pass: the archive stays gap-free.
                    pass.failures.append((spec.name, "\(error)"))
                    break
                }
            }
        }
        return pass
    }
}
