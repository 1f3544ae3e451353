#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import ConfigAudit
import FlowCore
import Policy
import Query

/// `flowlog pack list|show|render|check`: compliance packs (PCI DSS, HIPAA, SOC 2, CIS).
struct PackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack",
        abstract: "Compliance packs: the policies, Pod Security level, reports and control map a standard needs, and whether they hold.",
        subcommands: [PackListCommand.self, PackShowCommand.self, PackRenderCommand.self, PackCheckCommand.self]
    )
}

/// Where packs come from: the ones shipped with flowlog, or `--packs DIR`.
struct PackSource: ParsableArguments {
    @Option(name: .long, help: "A directory of pack YAML files to use instead of the packs shipped with flowlog.")
    var packs: String?

    func all() throws -> [String: CompliancePack] {
        do {
            return try CompliancePackLibrary.load(directory: packs)
        } catch let error as ManifestError {
            for e in error.errors { Diagnostics.error("\(e)") }
            throw ExitStatus.badInput.exitCode
        } catch let error as FlowlogError {
            Diagnostics.error("\(error)")
            throw ExitStatus(error).exitCode
        } catch {
            Diagnostics.error("cannot read the packs: \(error)")
            throw ExitStatus.failure.exitCode
        }
    }

    func pack(_ name: String) throws -> CompliancePack {
        let packs = try all()
        guard let pack = packs[name] else {
            Diagnostics.error("no pack '\(name)'; packs: \(packs.keys.sorted().joined(separator: ", "))")
            throw ExitStatus.usage.exitCode
        }
        return pack
    }
}

struct PackListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the packs.")

    @OptionGroup var source: PackSource

    func run() throws {
        for (name, pack) in try source.all().sorted(by: { $0.key < $1.key }) {
            print("\(name)\t\(pack.title)\t\(pack.controls.count) requirements")
        }
    }
}

struct PackShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show what a pack renders and checks.")

    @OptionGroup var source: PackSource
    @Argument(help: "The pack.") var name: String

    func run() throws {
        print(PackReportFormat.describe(try source.pack(name)))
    }
}

struct PackRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the pack's manifests for the given namespaces (YAML, accepted by flowlog policy check and by Calico)."
    )

    @OptionGroup var source: PackSource
    @Argument(help: "The pack.") var name: String
    @Option(name: .long, parsing: .upToNextOption, help: "The namespaces the pack is for (its scope).") var namespace: [String]

    func validate() throws {
        if namespace.isEmpty { throw ValidationError("give at least one --namespace") }
    }

    func run() throws {
        let pack = try source.pack(name)
        do {
            print(try PackRenderer.render(pack, namespaces: namespace), terminator: "")
        } catch let error as FlowlogError {
            Diagnostics.error("\(error)")
            throw ExitStatus(error).exitCode
        }
    }
}

struct PackCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Judge every requirement of a pack on cluster manifests (and, with --data, on observed flows).",
        discussion: "Exit 0: every requirement passes (or could not be evaluated); 1: some requirement fails; 2: unreadable input."
    )

    enum Output: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var source: PackSource
    @Argument(help: "The pack.") var name: String
    @Option(name: .long, parsing: .upToNextOption, help: "Cluster manifest files or directories (with the rendered pack applied).") var cluster: [String]
    @Option(name: .long, help: "A flow store: flows observed in breach of the pack count against it.") var data: String?
    @Option(name: .long, help: "With --data: the interval's start (RFC 3339 or a duration such as 24h, meaning that long ago).") var since: String?
    @Option(name: .long, help: "With --data: the interval's end.") var until: String?
    @Option(name: .shortAndLong, help: "table, json or csv.") var output: Output = .table

    func validate() throws {
        if cluster.isEmpty { throw ValidationError("--cluster needs at least one file or directory") }
    }

    func run() throws {
        let pack = try source.pack(name)
        do {
            let window = try TimeWindow(since: since, until: until, now: Self.now())
            let report = try PackChecker.check(pack, clusterPaths: cluster, data: data, window: window)
            switch output {
            case .table: print(PackReportFormat.table(report))
            case .json: print(try PackReportFormat.json(report))
            case .csv: print(PackReportFormat.csv(report), terminator: "")
            }
            if !report.passed { throw ExitCode(1) }
        } catch let error as ManifestError {
            for e in error.errors { Diagnostics.error("\(e)") }
            throw ExitStatus.badInput.exitCode
        } catch let error as ClusterLoadError {
            for e in error.errors { Diagnostics.error("\(e)") }
            throw ExitStatus.badInput.exitCode
        } catch let error as FlowlogError {
            Diagnostics.error("\(error)")
            throw ExitStatus(error).exitCode
        }
    }

    private static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(seconds: UInt64(ts.tv_sec), nanoseconds: UInt64(ts.tv_nsec))
    }
}
