import FlowCore
import Pipeline
import Policy

/// A flow every loaded cluster decides, so policy compilation and evaluation run too.
private let probe = FlowRecord(sourceAddress: IPAddress("10.0.0.1")!, destinationAddress: IPAddress("10.0.0.2")!,
                               sourcePort: 40_000, destinationPort: 80, ipProtocol: .tcp,
                               start: Timestamp(nanoseconds: 1), end: Timestamp(nanoseconds: 2))

/// Called by libFuzzer for each input: any text read as cluster manifests (and as an agent
/// configuration) loads or gives errors that name the file, never a crash, a hang or a stack
/// overflow.
func manifestFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    do {
        let cluster = try ClusterLoader.load(text: text, name: "fuzz.yaml")
        for warning in cluster.warnings where warning.location?.file != "fuzz.yaml" {
            fatalError("warning without its file: \(warning)")
        }
        var flows = [probe]
        var annotated: [AnnotatedFlow] = []
        PolicyEngine(cluster: cluster).annotate(&flows, into: &annotated, node: "fuzz")
        guard annotated.count == 1 else { fatalError("one flow in, \(annotated.count) out") }
    } catch let error as ClusterLoadError {
        for e in error.errors where e.location?.file != "fuzz.yaml" { fatalError("error without its file: \(e)") }
    } catch {
        fatalError("unexpected error type \(error)")
    }
    do {
        _ = try AgentConfiguration.parse(yaml: text, file: "fuzz-agent.yaml")
    } catch let error as FlowlogError {
        guard error.location?.file == "fuzz-agent.yaml" else { fatalError("configuration error without its file: \(error)") }
    } catch {
        fatalError("unexpected error type \(error)")
    }
    return 0
}
