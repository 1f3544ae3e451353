import Testing
@testable import FlowCore

@Suite struct AnnotationBoxTests {
    @Test func partBoxesNameTheBoxesOfTheParts() {
        let pod = EndpointIdentity(kind: .workload, namespace: "shop", name: "web-1", aggregatedName: "web-*",
                                   labels: ["app": "web"], serviceAccount: "default")
        let net = EndpointIdentity(kind: .network, aggregatedName: "pub")
        let egress = PolicyTrace(reporter: .source, action: .allow, hits: [])
        let ingress = PolicyTrace(reporter: .destination, action: .deny, hits: [])
        let annotation = FlowAnnotation(source: pod, destination: net, verdict: .deny, egress: egress, ingress: ingress)
        let boxes = annotation.partBoxes
        #expect(boxes.source == pod.storageIdentity)
        #expect(boxes.destination == net.storageIdentity)
        #expect(boxes.egress == egress.storageIdentity)
        #expect(boxes.ingress == ingress.storageIdentity)
        #expect(boxes.pendingEgress == nil && boxes.pendingIngress == nil)
        // A part changed through the annotation gets a box of its own; the others keep theirs.
        var changed = annotation
        changed.source.name = "web-2"
        #expect(changed.partBoxes.source != pod.storageIdentity)
        #expect(changed.partBoxes.destination == net.storageIdentity)
        #expect(annotation.partBoxes.source == pod.storageIdentity)
    }

    /// `boxAddress(at:)` reads a stored annotation's bytes as its box's address: it must name
    /// the box `storageIdentity` names, for every element of an array, without a retain.
    @Test func boxAddressIsTheStoredBox() {
        #expect(MemoryLayout<FlowAnnotation>.size == MemoryLayout<UnsafeRawPointer>.size)
        let annotations = (0..<5).map { i in
            FlowAnnotation(source: EndpointIdentity(kind: .network, aggregatedName: "pvt-\(i)"),
                           destination: EndpointIdentity(kind: .network, aggregatedName: "pub"), verdict: .allow)
        }
        annotations.withUnsafeBufferPointer { stored in
            for i in stored.indices {
                let address = FlowAnnotation.boxAddress(at: stored.baseAddress! + i)
                #expect(ObjectIdentifier(Unmanaged<AnyObject>.fromOpaque(address).takeUnretainedValue()) == annotations[i].storageIdentity)
            }
        }
    }
}
