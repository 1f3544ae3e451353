// auditgen: writes a kube-apiserver audit log (audit.k8s.io/v1 Events, one JSON object per
// line, as `--audit-log-path` writes them) for the ingest benchmark, deterministic from a seed.
// The mix is a busy cluster's: mostly reads, leases and events, with the pod, namespace,
// service and policy writes flowlog keeps in between. See Benchmarks/README.md (Evidence).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let usage = """
    usage: auditgen --out FILE [--events N] [--nodes N] [--namespaces N] [--seed N]
      --events N       events (lines) to write (default 1000000)
      --nodes N        nodes whose kubelets write leases, node and pod status (default 50)
      --namespaces N   namespaces holding pods, services and policies (default 40)
      --seed N         the random seed (default 1)
    """

var out: String?
var events = 1_000_000, nodes = 50, namespaces = 40
var seed: UInt64 = 1
var rest = Array(CommandLine.arguments.dropFirst())[...]
func fail(_ message: String) -> Never {
    fputs("auditgen: \(message)\n\(usage)\n", stderr)
    exit(2)
}
while let flag = rest.popFirst() {
    if flag == "-h" || flag == "--help" { print(usage); exit(0) }
    guard let value = rest.popFirst() else { fail("\(flag) needs a value") }
    switch flag {
    case "--out": out = value
    case "--events": events = Int(value) ?? -1
    case "--nodes": nodes = Int(value) ?? -1
    case "--namespaces": namespaces = Int(value) ?? -1
    case "--seed": seed = UInt64(value) ?? 0
    default: fail("unknown option \(flag)")
    }
}
guard let out else { fail("--out is required") }
guard events > 0, (1...5_000).contains(nodes), (1...10_000).contains(namespaces) else {
    fail("--events must be positive, --nodes 1…5000, --namespaces 1…10000")
}
guard let file = fopen(out, "w") else { fail("cannot create \(out): \(String(cString: strerror(errno)))") }
setvbuf(file, nil, _IOFBF, 1 << 20)
var generator = AuditLogGenerator(seed: seed, nodes: nodes, namespaces: namespaces)
var written = 0
while written < events {
    for line in generator.nextRequest() where written < events {
        fputs(line, file)
        fputc(0x0A, file)
        written += 1
    }
}
guard fclose(file) == 0 else { fail("writing \(out): \(String(cString: strerror(errno)))") }
fputs("auditgen: \(written) events, \(generator.keptWrites) of them writes flowlog keeps, to \(out)\n", stderr)
