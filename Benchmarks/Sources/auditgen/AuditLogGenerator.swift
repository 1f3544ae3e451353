#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One API request at a time, as the audit log records it: a `RequestReceived` line for about
/// half of them (clusters that do not omit that stage), `ResponseStarted` for watches, then
/// `ResponseComplete`. Reads, leases, events and other kinds are logged at `Metadata`; writes of
/// the kinds flowlog keeps at `RequestResponse`, with their objects.
///
/// State is kept where the log would be inconsistent without it: pods exist before they are
/// patched or deleted, resourceVersions rise across the cluster, time moves forward.
struct AuditLogGenerator {
    private var random: SplitMix64
    private let nodes: [String]
    private let namespaces: [String]
    private var pods: [[Pod]]
    private var policies: [[String: Int]]
    private var resourceVersion: UInt64 = 5_000_000
    /// Nanoseconds since the Unix epoch of the current request (starts 2026-11-23T00:00:00Z).
    private var clock: UInt64 = 1_795_392_000_000_000_000
    private var requests: UInt64 = 0
    /// Writes that become versions in flowlog's audit store.
    private(set) var keptWrites = 0

    struct Pod {
        var name: String
        var uid: String
        var app: String
        var node: String
        var ip: String?
        var resourceVersion: UInt64
        var created: UInt64
    }

    /// What a request does, with its weight in a busy cluster's log.
    private enum Request: CaseIterable {
        case read, watch, leaseUpdate, eventCreate, nodeStatus, podStatus, podCreate, podDelete, endpointSlice,
             review, serviceWrite, calicoPolicy, kubernetesPolicy, namespaceCreate, conflict, forbidden, dryRun

        var weight: Double {
            switch self {
            case .read: 30
            case .watch: 5
            case .leaseUpdate: 20
            case .eventCreate: 8
            case .nodeStatus: 5
            case .podStatus: 9
            case .podCreate: 3
            case .podDelete: 2.5
            case .endpointSlice: 4
            case .review: 6
            case .serviceWrite: 1
            case .calicoPolicy: 1.2
            case .kubernetesPolicy: 0.6
            case .namespaceCreate: 0.1
            case .conflict: 1.5
            case .forbidden: 0.5
            case .dryRun: 0.3
            }
        }
    }

    private static let cumulative: [Double] = {
        var sum = 0.0
        return Request.allCases.map { sum += $0.weight; return sum }
    }()

    init(seed: UInt64, nodes: Int, namespaces: Int) {
        random = SplitMix64(seed: seed)
        self.nodes = (0..<nodes).map { "node-\(String(format3: $0))" }
        let teams = ["shop", "payments", "search", "catalog", "checkout", "auth", "billing", "media", "ads", "ml"]
        self.namespaces = (0..<namespaces).map { "\(teams[$0 % teams.count])-\($0 / teams.count)" }
        pods = Array(repeating: [], count: namespaces)
        policies = Array(repeating: [:], count: namespaces)
    }

    /// The lines one request writes to the log.
    mutating func nextRequest() -> [String] {
        requests += 1
        clock += UInt64(random.exponential(mean: 2_000_000))
        let kind = Request.allCases[random.pick(cumulative: Self.cumulative)]
        switch kind {
        case .read: return read()
        case .watch: return watch()
        case .leaseUpdate: return leaseUpdate()
        case .eventCreate: return eventCreate()
        case .nodeStatus: return nodeStatus()
        case .podStatus: return podStatus()
        case .podCreate: return podCreate()
        case .podDelete: return podDelete()
        case .endpointSlice: return endpointSlice()
        case .review: return review()
        case .serviceWrite: return serviceWrite()
        case .calicoPolicy: return calicoPolicy(dryRun: false)
        case .kubernetesPolicy: return kubernetesPolicy()
        case .namespaceCreate: return namespaceCreate()
        case .conflict: return conflict()
        case .forbidden: return forbidden()
        case .dryRun: return calicoPolicy(dryRun: true)
        }
    }

    // MARK: - Requests

    private mutating func read() -> [String] {
        let resources: [(String, String, Bool)] = [("pods", "", true), ("configmaps", "", true), ("secrets", "", true),
                                                   ("endpoints", "", true), ("nodes", "", false), ("services", "", true),
                                                   ("deployments", "apps", true), ("replicasets", "apps", true),
                                                   ("networkpolicies", "projectcalico.org", true)]
        let (resource, group, namespaced) = resources[random.int(0...(resources.count - 1))]
        let namespace = namespaced ? namespaces[random.int(0...(namespaces.count - 1))] : ""
        let list = random.chance(0.4)
        let name = list ? "" : "\(resource.dropLast())-\(random.nameSuffix(5))"
        let user = controllerUser()
        let missing = !list && random.chance(0.05)
        return request(verb: list ? "list" : "get", user: user, resource: resource, group: group, namespace: namespace, name: name,
                       code: missing ? 404 : 200, level: "Metadata")
    }

    private mutating func watch() -> [String] {
        let resource = ["pods", "configmaps", "services", "endpointslices", "networkpolicies", "globalnetworkpolicies"][random.int(0...5)]
        let group = resource == "endpointslices" ? "discovery.k8s.io" : resource.contains("networkpolicies") && random.chance(0.5) ? "projectcalico.org" : ""
        let node = nodes[random.int(0...(nodes.count - 1))]
        let user = User.node(node)
        return request(verb: "watch", user: user, resource: resource, group: group, namespace: "", name: "", code: 200,
                       level: "Metadata", started: true, query: "?allowWatchBookmarks=true&resourceVersion=\(resourceVersion - 500)&timeoutSeconds=\(random.int(300...600))&watch=true")
    }

    private mutating func leaseUpdate() -> [String] {
        let holder: String, user: User
        if random.chance(0.9) {
            holder = nodes[random.int(0...(nodes.count - 1))]
            user = .node(holder)
        } else {
            holder = ["kube-controller-manager", "kube-scheduler", "calico-kube-controllers"][random.int(0...2)]
            user = .serviceAccount("kube-system", holder)
        }
        resourceVersion += 1
        return request(verb: "update", user: user, resource: "leases", group: "coordination.k8s.io",
                       namespace: random.chance(0.9) ? "kube-node-lease" : "kube-system", name: holder, code: 200, level: "Metadata")
    }

    private mutating func eventCreate() -> [String] {
        let namespace = namespaces[random.int(0...(namespaces.count - 1))]
        resourceVersion += 1
        return request(verb: "create", user: .node(nodes[random.int(0...(nodes.count - 1))]), resource: "events", group: "",
                       namespace: namespace, name: "", code: 201, level: "Metadata")
    }

    private mutating func nodeStatus() -> [String] {
        let node = nodes[random.int(0...(nodes.count - 1))]
        resourceVersion += 1
        let patch = #"{"status":{"$setElementOrder/conditions":[{"type":"MemoryPressure"},{"type":"DiskPressure"},{"type":"PIDPressure"},{"type":"Ready"}],"conditions":[{"lastHeartbeatTime":"\#(time(clock))","type":"Ready"}]}}"#
        return request(verb: "patch", user: .node(node), resource: "nodes", group: "", namespace: "", name: node,
                       subresource: "status", code: 200, level: "Request", requestObject: patch)
    }

    /// A kubelet reports a pod's IP and readiness: the version that gives a pod its address.
    private mutating func podStatus() -> [String] {
        guard let (n, i) = anyPod() else { return podCreate() }
        resourceVersion += 1
        var pod = pods[n][i]
        if pod.ip == nil { pod.ip = "10.\(random.int(32...63)).\(random.int(0...255)).\(random.int(2...254))" }
        pod.resourceVersion = resourceVersion
        pods[n][i] = pod
        keptWrites += 1
        let patch = #"{"metadata":{"uid":"\#(pod.uid)"},"status":{"$setElementOrder/conditions":[{"type":"Initialized"},{"type":"Ready"},{"type":"ContainersReady"},{"type":"PodScheduled"}],"conditions":[{"lastTransitionTime":"\#(time(clock))","status":"True","type":"Ready"},{"lastTransitionTime":"\#(time(clock))","status":"True","type":"ContainersReady"}],"podIP":"\#(pod.ip!)","podIPs":[{"ip":"\#(pod.ip!)"}]}}"#
        return request(verb: "patch", user: .node(pod.node), resource: "pods", group: "", namespace: namespaces[n], name: pod.name,
                       subresource: "status", code: 200, level: "RequestResponse", requestObject: patch,
                       responseObject: podObject(pod, namespace: namespaces[n], running: true))
    }

    private mutating func podCreate() -> [String] {
        let n = random.int(0...(namespaces.count - 1))
        if pods[n].count > 60 { return podDelete(in: n) }
        let app = ["web", "api", "worker", "cache", "frontend", "db-proxy"][random.int(0...5)]
        resourceVersion += 1
        let pod = Pod(name: "\(app)-\(random.nameSuffix(10))-\(random.nameSuffix(5))", uid: uuid(), app: app,
                      node: nodes[random.int(0...(nodes.count - 1))], ip: nil, resourceVersion: resourceVersion, created: clock)
        pods[n].append(pod)
        keptWrites += 1
        let object = podObject(pod, namespace: namespaces[n], running: false)
        return request(verb: "create", user: .serviceAccount("kube-system", "replicaset-controller"), resource: "pods", group: "",
                       namespace: namespaces[n], name: "", code: 201, level: "RequestResponse", requestObject: object,
                       responseObject: object, extraAnnotations: #","pod-security.kubernetes.io/enforce-policy":"baseline:latest""#)
    }

    private mutating func podDelete() -> [String] {
        guard let (n, _) = anyPod() else { return podCreate() }
        return podDelete(in: n)
    }

    private mutating func podDelete(in n: Int) -> [String] {
        guard !pods[n].isEmpty else { return podCreate() }
        let pod = pods[n].remove(at: random.int(0...(pods[n].count - 1)))
        resourceVersion += 1
        var deleted = pod
        deleted.resourceVersion = resourceVersion
        keptWrites += 1
        return request(verb: "delete", user: .serviceAccount("kube-system", "replicaset-controller"), resource: "pods", group: "",
                       namespace: namespaces[n], name: pod.name, code: 200, level: "RequestResponse",
                       requestObject: #"{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/__internal","preconditions":{"uid":"\#(pod.uid)"},"propagationPolicy":"Background"}"#,
                       responseObject: podObject(deleted, namespace: namespaces[n], running: true, deleting: true))
    }

    private mutating func endpointSlice() -> [String] {
        let namespace = namespaces[random.int(0...(namespaces.count - 1))]
        resourceVersion += 1
        return request(verb: "update", user: .serviceAccount("kube-system", "endpointslice-controller"), resource: "endpointslices",
                       group: "discovery.k8s.io", namespace: namespace, name: "api-\(random.nameSuffix(5))", code: 200, level: "Metadata")
    }

    private mutating func review() -> [String] {
        let resource = random.chance(0.6) ? "subjectaccessreviews" : "tokenreviews"
        let group = resource == "tokenreviews" ? "authentication.k8s.io" : "authorization.k8s.io"
        return request(verb: "create", user: .serviceAccount("monitoring", "kube-state-metrics"), resource: resource, group: group,
                       namespace: "", name: "", code: 201, level: "Metadata")
    }

    private mutating func serviceWrite() -> [String] {
        let n = random.int(0...(namespaces.count - 1))
        let namespace = namespaces[n]
        resourceVersion += 1
        keptWrites += 1
        if random.chance(0.4) {
            let name = ["default", "web", "api", "worker"][random.int(0...3)]
            let object = #"{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","uid":"\#(uuid())","resourceVersion":"\#(resourceVersion)","creationTimestamp":"\#(time(clock))"}}"#
            return request(verb: "create", user: .serviceAccount("kube-system", "service-account-controller"), resource: "serviceaccounts",
                           group: "", namespace: namespace, name: "", code: 201, level: "RequestResponse", requestObject: object, responseObject: object)
        }
        let app = ["web", "api", "worker", "cache"][random.int(0...3)]
        let object = #"{"kind":"Service","apiVersion":"v1","metadata":{"name":"\#(app)","namespace":"\#(namespace)","uid":"\#(uuid())","resourceVersion":"\#(resourceVersion)","creationTimestamp":"\#(time(clock))","labels":{"app":"\#(app)"},"managedFields":[{"manager":"argocd-controller","operation":"Apply","apiVersion":"v1","time":"\#(time(clock))","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:ports":{"k:{\"port\":80,\"protocol\":\"TCP\"}":{".":{},"f:port":{},"f:targetPort":{}}},"f:selector":{}}}}]},"spec":{"clusterIP":"10.96.\#(random.int(0...255)).\#(random.int(1...254))","clusterIPs":["10.96.\#(random.int(0...255)).\#(random.int(1...254))"],"ports":[{"name":"http","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"\#(app)"},"type":"ClusterIP","sessionAffinity":"None","ipFamilies":["IPv4"],"ipFamilyPolicy":"SingleStack","internalTrafficPolicy":"Cluster"},"status":{"loadBalancer":{}}}"#
        return request(verb: "patch", user: .serviceAccount("argocd", "argocd-application-controller"), resource: "services", group: "",
                       namespace: namespace, name: app, code: 200, level: "RequestResponse",
                       requestObject: #"{"metadata":{"labels":{"app":"\#(app)"}}}"#, responseObject: object)
    }

    /// A Calico policy created or changed by a person or GitOps; `dryRun` is `kubectl diff`.
    private mutating func calicoPolicy(dryRun: Bool) -> [String] {
        let n = random.int(0...(namespaces.count - 1))
        let namespace = namespaces[n]
        let global = random.chance(0.2)
        let name = global ? "default.deny-\(["egress", "ingress", "external", "metadata"][random.int(0...3)])"
            : "default.allow-\(["web", "api", "worker", "cache", "dns", "monitoring"][random.int(0...5)])"
        let key = global ? "global/" + name : name
        let existing = policies[n][key]
        let verb = existing == nil ? "create" : random.chance(0.7) ? "update" : "patch"
        let ports = [[80], [443], [443, 8443], [8080], [5432], [6379], [53]][random.int(0...6)]
        let rv = dryRun ? (existing.map(UInt64.init) ?? resourceVersion) : { resourceVersion += 1; return resourceVersion }()
        if !dryRun {
            policies[n][key] = Int(rv)
            keptWrites += 1
        }
        let resource = global ? "globalnetworkpolicies" : "networkpolicies"
        let kind = global ? "GlobalNetworkPolicy" : "NetworkPolicy"
        let meta = global ? #""name":"\#(name)""# : #""name":"\#(name)","namespace":"\#(namespace)""#
        let portList = ports.map { String($0) }.joined(separator: ",")
        let spec = #""spec":{"tier":"default","order":\#(random.int(1...20) * 50),"selector":"app == '\#(["web", "api", "worker", "cache"][random.int(0...3)])'","types":["Ingress","Egress"],"ingress":[{"action":"Allow","protocol":"TCP","source":{"selector":"app == 'frontend'","namespaceSelector":"team == '\#(namespace.split(separator: "-")[0])'"},"destination":{"ports":[\#(portList)]}}],"egress":[{"action":"Allow","protocol":"UDP","destination":{"selector":"k8s-app == 'kube-dns'","namespaceSelector":"projectcalico.org/name == 'kube-system'","ports":[53]}},{"action":"Allow","protocol":"TCP","destination":{"ports":[\#(portList)]}}]}"#
        let object = #"{"kind":"\#(kind)","apiVersion":"projectcalico.org/v3","metadata":{\#(meta),"uid":"\#(uuid())","resourceVersion":"\#(rv)","creationTimestamp":"\#(time(clock))"},\#(spec)}"#
        let request = #"{"kind":"\#(kind)","apiVersion":"projectcalico.org/v3","metadata":{\#(meta)},\#(spec)}"#
        return self.request(verb: verb, user: random.chance(0.5) ? .person : .serviceAccount("argocd", "argocd-application-controller"),
                            resource: resource, group: "projectcalico.org", namespace: global ? "" : namespace,
                            name: verb == "create" ? "" : name, code: verb == "create" ? 201 : 200, level: "RequestResponse",
                            query: dryRun ? "?dryRun=All&fieldManager=kubectl-client-side-apply" : "",
                            requestObject: request, responseObject: object)
    }

    private mutating func kubernetesPolicy() -> [String] {
        let n = random.int(0...(namespaces.count - 1))
        let namespace = namespaces[n]
        let name = "allow-\(["web", "api", "dns"][random.int(0...2)])"
        let key = "k8s/" + name
        let verb = policies[n][key] == nil ? "create" : "update"
        resourceVersion += 1
        policies[n][key] = Int(resourceVersion)
        keptWrites += 1
        let spec = #""spec":{"podSelector":{"matchLabels":{"app":"web"}},"ingress":[{"from":[{"namespaceSelector":{"matchLabels":{"team":"shop"}}}],"ports":[{"protocol":"TCP","port":\#([80, 443, 8080][random.int(0...2)])}]}],"policyTypes":["Ingress"]}"#
        let object = #"{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","uid":"\#(uuid())","resourceVersion":"\#(resourceVersion)","generation":\#(random.int(1...9)),"creationTimestamp":"\#(time(clock))"},\#(spec)}"#
        return request(verb: verb, user: .person, resource: "networkpolicies", group: "networking.k8s.io", namespace: namespace,
                       name: verb == "create" ? "" : name, code: verb == "create" ? 201 : 200, level: "RequestResponse",
                       requestObject: #"{"kind":"NetworkPolicy","apiVersion":"networking.k8s.io/v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)"},\#(spec)}"#,
                       responseObject: object)
    }

    private mutating func namespaceCreate() -> [String] {
        resourceVersion += 1
        keptWrites += 1
        let name = "preview-\(random.nameSuffix(6))"
        let object = #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"\#(name)","uid":"\#(uuid())","resourceVersion":"\#(resourceVersion)","creationTimestamp":"\#(time(clock))","labels":{"kubernetes.io/metadata.name":"\#(name)","team":"preview"}},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#
        return request(verb: "create", user: .person, resource: "namespaces", group: "", namespace: "", name: "", code: 201,
                       level: "RequestResponse", requestObject: #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"\#(name)","labels":{"team":"preview"}}}"#,
                       responseObject: object)
    }

    /// An update that lost a race: 409, nothing stored.
    private mutating func conflict() -> [String] {
        guard let (n, i) = anyPod() else { return read() }
        let pod = pods[n][i]
        let status = #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Operation cannot be fulfilled on pods \"\#(pod.name)\": the object has been modified; please apply your changes to the latest version and try again","reason":"Conflict","details":{"name":"\#(pod.name)","kind":"pods"},"code":409}"#
        return request(verb: "update", user: .serviceAccount("kube-system", "replicaset-controller"), resource: "pods", group: "",
                       namespace: namespaces[n], name: pod.name, code: 409, level: "RequestResponse",
                       requestObject: podObject(pod, namespace: namespaces[n], running: pod.ip != nil), responseObject: status)
    }

    private mutating func forbidden() -> [String] {
        let namespace = namespaces[random.int(0...(namespaces.count - 1))]
        return request(verb: "delete", user: .serviceAccount(namespace, "default"), resource: "networkpolicies", group: "projectcalico.org",
                       namespace: namespace, name: "default.allow-web", code: 403, level: "RequestResponse",
                       responseObject: #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"networkpolicies.projectcalico.org \"default.allow-web\" is forbidden","reason":"Forbidden","code":403}"#,
                       decision: "forbid")
    }

    // MARK: - Lines

    private enum User {
        case node(String), serviceAccount(String, String), person

        var json: String {
            switch self {
            case .node(let name):
                #"{"username":"system:node:\#(name)","groups":["system:nodes","system:authenticated"]}"#
            case .serviceAccount(let namespace, let name):
                #"{"username":"system:serviceaccount:\#(namespace):\#(name)","uid":"\#(name.utf8.count)e1f2a3-9b8c-4d7e-a6f5-\#(namespace.utf8.count)0c1d2e3f4a5","groups":["system:serviceaccounts","system:serviceaccounts:\#(namespace)","system:authenticated"],"extra":{"authentication.kubernetes.io/pod-name":["\#(name)-7d9f8c6b5-x2k4q"]}}"#
            case .person:
                #"{"username":"alice@example.com","groups":["system:authenticated","platform-admins"],"extra":{"iam.gke.io/user-assertion":["AKUJVp..."]}}"#
            }
        }

        var agent: String {
            switch self {
            case .node: "kubelet/v1.31.2 (linux/amd64) kubernetes/5864a46"
            case .serviceAccount(_, let name) where name.hasSuffix("controller"): "kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:\(name)"
            case .serviceAccount: "argocd-application-controller/v2.12.4 (linux/amd64)"
            case .person: "kubectl/v1.31.2 (linux/amd64) kubernetes/5864a46"
            }
        }

        var sourceIP: String {
            switch self {
            case .node(let name): "10.0.1.\(name.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 200 } + 10)"
            case .serviceAccount: "10.0.0.4"
            case .person: "203.0.113.24"
            }
        }
    }

    private mutating func controllerUser() -> User {
        switch random.int(0...3) {
        case 0: .node(nodes[random.int(0...(nodes.count - 1))])
        case 1: .serviceAccount("kube-system", "replicaset-controller")
        case 2: .serviceAccount("calico-system", "calico-node")
        default: .serviceAccount("monitoring", "prometheus")
        }
    }

    private mutating func request(verb: String, user: User, resource: String, group: String, namespace: String, name: String,
                                  subresource: String = "", code: Int, level: String, started: Bool = false, query: String = "",
                                  requestObject: String? = nil, responseObject: String? = nil, decision: String = "allow",
                                  extraAnnotations: String = "") -> [String] {
        let id = uuid()
        let received = clock
        let completed = clock + UInt64(random.exponential(mean: started ? 300_000_000_000 : 8_000_000))
        let version = group.isEmpty ? "v1" : group == "projectcalico.org" ? "v3" : "v1"
        var uri = group.isEmpty ? "/api/v1" : "/apis/\(group)/\(version)"
        if !namespace.isEmpty { uri += "/namespaces/\(namespace)" }
        uri += "/\(resource)"
        if !name.isEmpty { uri += "/\(name)" }
        if !subresource.isEmpty { uri += "/\(subresource)" }
        uri += query
        var reference = #"{"resource":"\#(resource)""#
        if !namespace.isEmpty { reference += #","namespace":"\#(namespace)""# }
        if !name.isEmpty { reference += #","name":"\#(name)""# }
        if !group.isEmpty { reference += #","apiGroup":"\#(group)""# }
        reference += #","apiVersion":"\#(version)""#
        if !subresource.isEmpty { reference += #","subresource":"\#(subresource)""# }
        reference += "}"
        let head = #"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"\#(level)","auditID":"\#(id)","stage":"#
        let middle = #","requestURI":"\#(uri)","verb":"\#(verb)","user":\#(user.json),"sourceIPs":["\#(user.sourceIP)"],"userAgent":"\#(user.agent)","objectRef":\#(reference)"#
        var lines: [String] = []
        let withRequest = level == "Request" || level == "RequestResponse"
        if random.chance(0.5) {
            var line = head + #""RequestReceived""# + middle
            if withRequest, let requestObject { line += #","requestObject":\#(requestObject)"# }
            lines.append(line + #","requestReceivedTimestamp":"\#(time(received))","stageTimestamp":"\#(time(received))"}"#)
        }
        let authorization = #""authorization.k8s.io/decision":"\#(decision)","authorization.k8s.io/reason":"\#(decision == "allow" ? "RBAC: allowed by ClusterRoleBinding \\\"system:\(resource)\\\"" : "")""#
        if started {
            lines.append(head + #""ResponseStarted""# + middle + #","responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"\#(time(received))","stageTimestamp":"\#(time(received + 1_200_000))","annotations":{\#(authorization)}}"#)
        }
        var line = head + #""ResponseComplete""# + middle
        if code < 300 {
            line += #","responseStatus":{"metadata":{},"code":\#(code)}"#
        } else {
            line += #","responseStatus":{"metadata":{},"status":"Failure","message":"\#(resource) failed","reason":"\#(code == 409 ? "Conflict" : code == 403 ? "Forbidden" : "NotFound")","code":\#(code)}"#
        }
        if withRequest, let requestObject { line += #","requestObject":\#(requestObject)"# }
        if level == "RequestResponse", let responseObject { line += #","responseObject":\#(responseObject)"# }
        line += #","requestReceivedTimestamp":"\#(time(received))","stageTimestamp":"\#(time(completed))","annotations":{\#(authorization)\#(extraAnnotations)}}"#
        lines.append(line)
        return lines
    }

    // MARK: - Objects

    private func podObject(_ pod: Pod, namespace: String, running: Bool, deleting: Bool = false) -> String {
        let created = time(pod.created)
        let status = running
            ? #"{"phase":"Running","conditions":[{"type":"Initialized","status":"True","lastProbeTime":null,"lastTransitionTime":"\#(created)"},{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"\#(time(clock))"},{"type":"ContainersReady","status":"True","lastProbeTime":null,"lastTransitionTime":"\#(time(clock))"},{"type":"PodScheduled","status":"True","lastProbeTime":null,"lastTransitionTime":"\#(created)"}],"hostIP":"\#(User.node(pod.node).sourceIP)","hostIPs":[{"ip":"\#(User.node(pod.node).sourceIP)"}],"podIP":"\#(pod.ip ?? "")","podIPs":[{"ip":"\#(pod.ip ?? "")"}],"startTime":"\#(created)","containerStatuses":[{"name":"\#(pod.app)","state":{"running":{"startedAt":"\#(created)"}},"lastState":{},"ready":true,"restartCount":0,"image":"registry.example.com/\#(namespace)/\#(pod.app):1.14.2","imageID":"registry.example.com/\#(namespace)/\#(pod.app)@sha256:3f1c0e5b9a7d4e2f8c6b1a0d9e8f7c6b5a4d3e2f1c0b9a8d7e6f5c4b3a2d1e0f","containerID":"containerd://9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c","started":true}],"qosClass":"Burstable"}"#
            : #"{"phase":"Pending","qosClass":"Burstable"}"#
        let deletion = deleting ? #","deletionTimestamp":"\#(time(clock + 30_000_000_000))","deletionGracePeriodSeconds":30"# : ""
        return #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"\#(pod.name)","generateName":"\#(pod.app)-","namespace":"\#(namespace)","uid":"\#(pod.uid)","resourceVersion":"\#(pod.resourceVersion)","creationTimestamp":"\#(created)"\#(deletion),"labels":{"app":"\#(pod.app)","pod-template-hash":"7d9f8c6b5"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-11-20T10:00:00Z"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"\#(pod.app)-7d9f8c6b5","uid":"4b3a2d1e-0f9e-8d7c-6b5a-4d3c2b1a0f9e","controller":true,"blockOwnerDeletion":true}],"managedFields":[{"manager":"kube-controller-manager","operation":"Update","apiVersion":"v1","time":"\#(created)","fieldsType":"FieldsV1","fieldsV1":{"f:metadata":{"f:generateName":{},"f:labels":{".":{},"f:app":{},"f:pod-template-hash":{}},"f:ownerReferences":{".":{},"k:{\"uid\":\"4b3a2d1e-0f9e-8d7c-6b5a-4d3c2b1a0f9e\"}":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"\#(pod.app)\"}":{".":{},"f:image":{},"f:name":{},"f:ports":{},"f:resources":{}}}}}},{"manager":"kubelet","operation":"Update","apiVersion":"v1","time":"\#(time(clock))","fieldsType":"FieldsV1","fieldsV1":{"f:status":{"f:conditions":{},"f:containerStatuses":{},"f:hostIP":{},"f:phase":{},"f:podIP":{},"f:podIPs":{},"f:startTime":{}}},"subresource":"status"}]},"spec":{"volumes":[{"name":"kube-api-access-\#(pod.uid.prefix(5))","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},{"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],"defaultMode":420}}],"containers":[{"name":"\#(pod.app)","image":"registry.example.com/\#(namespace)/\#(pod.app):1.14.2","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],"env":[{"name":"LOG_LEVEL","value":"info"},{"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}],"resources":{"limits":{"memory":"512Mi"},"requests":{"cpu":"100m","memory":"256Mi"}},"volumeMounts":[{"name":"kube-api-access-\#(pod.uid.prefix(5))","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"readinessProbe":{"httpGet":{"path":"/healthz","port":8080,"scheme":"HTTP"},"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"\#(pod.app)","serviceAccount":"\#(pod.app)","nodeName":"\#(pod.node)","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},"status":\#(status)}"#
    }

    private mutating func anyPod() -> (Int, Int)? {
        for _ in 0..<8 {
            let n = random.int(0...(namespaces.count - 1))
            if !pods[n].isEmpty { return (n, random.int(0...(pods[n].count - 1))) }
        }
        return nil
    }

    private mutating func uuid() -> String {
        let a = random.next(), b = random.next()
        let hex = String(a, radix: 16).leftPadded(16) + String(b, radix: 16).leftPadded(16)
        let h = Array(hex)
        return String(h[0..<8]) + "-" + String(h[8..<12]) + "-" + String(h[12..<16]) + "-" + String(h[16..<20]) + "-" + String(h[20..<32])
    }

    /// RFC 3339 with microseconds, as the API server writes stage timestamps.
    private func time(_ nanoseconds: UInt64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let micro = String((nanoseconds % 1_000_000_000) / 1_000).leftPadded(6)
        let date = "\(parts.tm_year + 1900)-\(String(format2: Int(parts.tm_mon) + 1))-\(String(format2: Int(parts.tm_mday)))"
        let clock = "\(String(format2: Int(parts.tm_hour))):\(String(format2: Int(parts.tm_min))):\(String(format2: Int(parts.tm_sec)))"
        return date + "T" + clock + "." + micro + "Z"
    }
}
