// samplegen: writes a synthetic cluster (Kubernetes and Calico manifests) and a capture of its
// traffic, deterministic from a seed. See docs/samples.md.
import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.contains("--help") || arguments.contains("-h") {
    print(GeneratorOptions.usage)
    exit(0)
}
do {
    let options = try GeneratorOptions(arguments: arguments)
    let generation = try SampleGeneration(options)
    for line in generation.report(requestedPolicies: options.policies) { fputs(line + "\n", stderr) }
} catch let error as FlowlogError {
    fputs("samplegen: \(error)\n", stderr)
    if error.code == .invalidArgument { fputs(GeneratorOptions.usage + "\n", stderr) }
    exit(error.code == .invalidArgument ? 2 : 1)
} catch {
    fputs("samplegen: \(error)\n", stderr)
    exit(1)
}
