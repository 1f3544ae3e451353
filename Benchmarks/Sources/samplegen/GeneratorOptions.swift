import FlowCore

/// What to generate: the command line of `samplegen`, validated.
struct GeneratorOptions {
    var outputDirectory = ""
    var pods = 200
    var namespaces = 8
    var policies = 40
    var tiers = 4
    var flows = 20_000
    var packetsPerFlow = 10.0
    var externalHosts = 64
    var seed: UInt64 = 1
    var start = Timestamp(seconds: 1_767_225_600, nanoseconds: 0)  // 2026-01-01T00:00:00Z
    /// Seconds of traffic the capture spans; 0 means "as a busy node would": about 20 k packets/s.
    var duration = 0.0
    var deniedPercent = 10.0
    var ipv6Percent = 10.0

    static let usage = """
        usage: samplegen --out DIR [--pods N] [--namespaces K] [--policies M] [--tiers T]
                         [--flows F] [--packets-per-flow P] [--external E] [--seed S]
                         [--start RFC3339] [--duration SECONDS] [--denied PCT] [--ipv6 PCT]

        Writes DIR/cluster/*.yaml (namespaces, service accounts, pods, services, Calico tiers,
        policies, network sets, Kubernetes NetworkPolicies) and DIR/capture.pcap (Ethernet, the
        traffic of those pods and E external hosts). The same arguments give the same bytes.

          --pods N              pods in the cluster (default 200)
          --namespaces K        namespaces, kube-system and monitoring included (default 8, min 3)
          --policies M          policies of all kinds; beyond the baseline set each extra one
                                allows one more workload-to-workload path (default 40)
          --tiers T             policy tiers including 'default' (default 4, min 2)
          --flows F             connections in the capture (default 20000)
          --packets-per-flow P  mean packets per connection (default 10)
          --external E          hosts outside the cluster (default 64, min 4)
          --seed S              random seed (default 1)
          --start RFC3339       time of the first packet (default 2026-01-01T00:00:00Z)
          --duration SECONDS    time the capture spans (default: about 20000 packets/s)
          --denied PCT          share of connections the policies deny (default 10)
          --ipv6 PCT            share of connections over IPv6 (default 10)
        """

    /// Parses `arguments` (without the program name); throws `.invalidArgument` naming the flag.
    init(arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ flag: String) throws -> String {
            guard let next = rest.popFirst() else {
                throw FlowlogError(.invalidArgument, "missing value", location: .init(field: flag))
            }
            return next
        }
        func integer(_ flag: String, _ range: ClosedRange<Int>) throws -> Int {
            let text = try value(flag)
            guard let number = Int(text), range.contains(number) else {
                throw FlowlogError(.invalidArgument, "expected an integer in \(range.lowerBound)...\(range.upperBound), got '\(text)'",
                                   location: .init(field: flag))
            }
            return number
        }
        func decimal(_ flag: String, _ range: ClosedRange<Double>) throws -> Double {
            let text = try value(flag)
            guard let number = Double(text), range.contains(number) else {
                throw FlowlogError(.invalidArgument, "expected a number in \(range.lowerBound)...\(range.upperBound), got '\(text)'",
                                   location: .init(field: flag))
            }
            return number
        }
        while let flag = rest.popFirst() {
            switch flag {
            case "--out": outputDirectory = try value(flag)
            case "--pods": pods = try integer(flag, 1...25_000)
            case "--namespaces": namespaces = try integer(flag, 3...500)
            case "--policies": policies = try integer(flag, 1...100_000)
            case "--tiers": tiers = try integer(flag, 2...50)
            case "--flows": flows = try integer(flag, 1...1_000_000_000)
            case "--packets-per-flow": packetsPerFlow = try decimal(flag, 2...10_000)
            case "--external": externalHosts = try integer(flag, 4...60_000)
            case "--seed":
                let text = try value(flag)
                guard let number = UInt64(text) else {
                    throw FlowlogError(.invalidArgument, "expected an unsigned integer, got '\(text)'", location: .init(field: flag))
                }
                seed = number
            case "--start":
                let text = try value(flag)
                guard let time = Timestamp(rfc3339: text) else {
                    throw FlowlogError(.invalidArgument, "expected an RFC 3339 time such as 2026-01-01T00:00:00Z, got '\(text)'",
                                       location: .init(field: flag))
                }
                start = time
            case "--duration": duration = try decimal(flag, 0.001...31_536_000)
            case "--denied": deniedPercent = try decimal(flag, 0...100)
            case "--ipv6": ipv6Percent = try decimal(flag, 0...100)
            default:
                throw FlowlogError(.invalidArgument, "unknown option '\(flag)'")
            }
        }
        guard !outputDirectory.isEmpty else {
            throw FlowlogError(.invalidArgument, "an output directory is required", location: .init(field: "--out"))
        }
    }

    /// The span of the capture in seconds.
    var effectiveDuration: Double {
        duration > 0 ? duration : max(10, Double(flows) * packetsPerFlow / 20_000)
    }
}
