import FlowCore

/// v1 Namespace, Pod, ServiceAccount and Service.
extension ClusterBuilder {
    mutating func addNamespace(_ r: ManifestField, metadata: ManifestField, name: String) {
        var labels = metadata.labels("labels")
        // The API server sets this label on every namespace; hand-written manifests may omit it.
        if labels["kubernetes.io/metadata.name"] == nil { labels["kubernetes.io/metadata.name"] = name }
        if cluster.namespaces[name] != nil { r.error("Namespace \(name) is defined more than once") }
        cluster.namespaces[name] = ClusterNamespace(name: name, labels: labels)
    }

    mutating func addPod(_ r: ManifestField, metadata: ManifestField, name: String) {
        let namespace = metadata.string("namespace") ?? "default"
        let spec = r.child("spec")
        let status = r.child("status")
        if spec?.string("hostNetwork") == "true" {
            cluster.skippedPods += 1
            return
        }
        if let phase = status?.string("phase"), phase == "Succeeded" || phase == "Failed" {
            cluster.skippedPods += 1
            return
        }
        var addresses: [IPAddress] = []
        for entry in status?.list("podIPs") ?? [] {
            if let ipField = entry.child("ip"), let a = Self.address(ipField), !addresses.contains(a) { addresses.append(a) }
        }
        if let single = status?.child("podIP"), let a = Self.address(single), !addresses.contains(a) { addresses.insert(a, at: 0) }
        var ports: [NamedPort] = []
        for container in spec?.list("containers") ?? [] {
            for port in container.list("ports") {
                guard let portName = port.string("name"), !portName.isEmpty else { continue }
                guard let number = port.integer("containerPort", in: 1...65535) else {
                    if port.child("containerPort") == nil { port.error("missing required field containerPort") }
                    continue
                }
                var proto = IPProtocol.tcp
                if let p = port.child("protocol") { proto = Self.protocolValue(p) ?? .tcp }
                ports.append(NamedPort(name: portName, ipProtocol: proto, port: UInt16(number)))
            }
        }
        let serviceAccount = spec?.string("serviceAccountName") ?? spec?.string("serviceAccount") ?? "default"
        let key = "\(namespace)/\(name)"
        // Worked out once (a walk for its field path), not once per use.
        let location = r.location
        if let first = podDefinitions[key] {
            r.warning("pod \(key) is defined more than once (first at \(first)); flows may get either definition")
        } else {
            podDefinitions[key] = location
        }
        for address in addresses {
            if let owner = podOfAddress[address] {
                if owner.pod != key {
                    r.warning("address \(address) also belongs to pod \(owner.pod) (\(owner.location)); flows to or from it may be attributed to either")
                }
            } else {
                podOfAddress[address] = (key, location)
            }
        }
        cluster.pods.append(ClusterPod(
            namespace: namespace, name: name, generateName: metadata.string("generateName") ?? "",
            labels: metadata.labels("labels"), serviceAccount: serviceAccount.isEmpty ? "default" : serviceAccount,
            addresses: addresses, ports: ports, node: spec?.string("nodeName") ?? ""))
    }

    mutating func addServiceAccount(_ r: ManifestField, metadata: ManifestField, name: String) {
        let namespace = metadata.string("namespace") ?? "default"
        cluster.serviceAccounts["\(namespace)/\(name)"] = ClusterServiceAccount(
            namespace: namespace, name: name, labels: metadata.labels("labels"))
    }

    mutating func addService(_ r: ManifestField, metadata: ManifestField, name: String) {
        let namespace = metadata.string("namespace") ?? "default"
        let spec = r.child("spec")
        var ips: [IPAddress] = []
        var texts = spec?.stringList("clusterIPs") ?? []
        if let single = spec?.string("clusterIP") { texts.insert(single, at: 0) }
        for text in texts where !text.isEmpty && text != "None" {
            if let a = IPAddress(text) {
                if !ips.contains(a) { ips.append(a) }
            } else {
                spec?.child("clusterIP")?.error("'\(text)' is not an IP address")
            }
        }
        let selector = spec?.child("selector") != nil ? spec?.stringMap("selector") : nil
        cluster.services.append(ClusterService(namespace: namespace, name: name, selector: selector, clusterIPs: ips))
    }
}
