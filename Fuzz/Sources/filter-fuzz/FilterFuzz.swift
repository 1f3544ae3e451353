import FlowCore
import Query

/// Flows every parsed filter is evaluated on (one unannotated), and a digest it is pruned with.
private let probes: [AnnotatedFlow] = {
    let web = EndpointIdentity(kind: .workload, namespace: "shop", name: "web-1", aggregatedName: "web-*",
                               labels: ["app": "web"], serviceAccount: "default")
    let db = EndpointIdentity(kind: .workload, namespace: "db", name: "pg-0", aggregatedName: "pg-*",
                              labels: ["app": "db"], serviceAccount: "default")
    let flow = FlowRecord(sourceAddress: IPAddress("10.0.0.1")!, destinationAddress: IPAddress("10.0.1.2")!,
                          sourcePort: 40_000, destinationPort: 5432, ipProtocol: .tcp,
                          start: Timestamp(nanoseconds: 1_000), end: Timestamp(nanoseconds: 2_000),
                          packetsOut: 3, bytesOut: 300, packetsIn: 2, bytesIn: 200)
    let annotation = FlowAnnotation(source: web, destination: db, destinationService: "db/pg", verdict: .deny)
    return [AnnotatedFlow(flow: flow, annotation: annotation, node: "n1"), AnnotatedFlow(flow: flow)]
}()

private let digest: BlockDigest = {
    var d = BlockDigest()
    for p in probes { d.insert(p) }
    d.seal()
    return d
}()

/// Called by libFuzzer for each input: any text is a filter or a `.parse` error with a column
/// inside the text; a filter never matches a flow in a block its pruner would skip.
func filterFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let program: FilterProgram
    do {
        program = try FilterProgram(parsing: text)
    } catch let error as FlowlogError {
        guard error.code == .parse, let column = error.location?.column, column >= 1, column <= text.unicodeScalars.count + 1 else {
            fatalError("filter error without code .parse or a column in the text: \(error) for \(text.debugDescription)")
        }
        _ = FilterDiagnostic.render(error, filter: text)
        return 0
    } catch {
        fatalError("unexpected error type \(error)")
    }
    let pruner = BlockPruner(filter: program.expression)
    let mayMatch = pruner.mayMatch(digest)
    for probe in probes where program.matches(probe) && !mayMatch {
        fatalError("pruner skips a block holding a match: \(text.debugDescription)")
    }
    return 0
}
