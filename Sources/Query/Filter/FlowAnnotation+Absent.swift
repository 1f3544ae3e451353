import FlowCore

extension FlowAnnotation {
    /// Stands in for a flow stored without an annotation, beside an `annotated: false` flag.
    ///
    /// Filters and output match on `record.annotation` once per flow, which borrows the
    /// annotation, and pass it on as a plain value; `record.annotation ?? default` or optional
    /// chains per field would copy it, retaining and releasing a score of references each time.
    static let absent = FlowAnnotation(source: EndpointIdentity(kind: .network, aggregatedName: "-"),
                                       destination: EndpointIdentity(kind: .network, aggregatedName: "-"),
                                       verdict: .unknown)
}
