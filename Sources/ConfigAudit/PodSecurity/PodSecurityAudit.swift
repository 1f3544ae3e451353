import FlowCore

/// A Pod, or an object with a pod template, to judge.
public struct PodSecuritySubject: Sendable {
    public let kind: String
    public let namespace: String
    public let name: String
    public let pod: PodSpecModel
    public let location: FlowlogError.Location
}

/// One subject's verdict under the policy it was judged by.
public struct PodSecurityResult: Sendable, Hashable {
    public let kind: String
    public let namespace: String
    public let name: String
    public let policy: PodSecurityPolicy
    public let violations: [PodSecurityViolation]
    public let location: FlowlogError.Location

    public var allowed: Bool { violations.isEmpty }
}

/// What one namespace asks for and how many of its objects it would reject.
public struct NamespaceSecuritySummary: Sendable, Hashable {
    public let name: String
    /// False when no Namespace object was among the inputs (its labels are unknown).
    public let defined: Bool
    public let labels: NamespaceSecurityLabels
    public let objects: Int
    /// Objects its own enforce policy rejects.
    public let rejected: Int
    /// Those objects, `Kind name`, in input order.
    public let rejectedObjects: [String]
}

/// Pod Security Standards over manifests: every Pod and pod template judged at a given
/// policy, or at its namespace's `enforce` policy.
public struct PodSecurityAudit: Sendable {
    public let results: [PodSecurityResult]
    public let namespaces: [NamespaceSecuritySummary]
    /// Unreadable input: syntax, types, limits. Objects read before an error are still judged.
    public let errors: [FlowlogError]

    /// Kinds whose pod template is judged, and where the template is.
    static let templatePaths: [String: [String]] = [
        "Deployment": ["spec", "template"], "ReplicaSet": ["spec", "template"], "StatefulSet": ["spec", "template"],
        "DaemonSet": ["spec", "template"], "Job": ["spec", "template"], "ReplicationController": ["spec", "template"],
        "CronJob": ["spec", "jobTemplate", "spec", "template"], "PodTemplate": ["template"],
    ]

    /// Judges every subject in `paths`: at `policy` when given, otherwise at its namespace's
    /// enforce label (`privileged`, which allows everything, when the namespace has none);
    /// `version` alone overrides the namespaces' versions.
    public init(paths: [String], policy: PodSecurityPolicy?, version: PodSecurityVersion? = nil, limits: ManifestLimits = .standard) {
        var reader = ManifestReader(limits: limits)
        reader.read(paths: paths)
        self.init(objects: reader.objects, policy: policy, version: version, problems: reader.problems)
    }

    public init(objects: [ManifestObject], policy: PodSecurityPolicy?, version: PodSecurityVersion? = nil, problems: ManifestProblems) {
        var labels: [String: NamespaceSecurityLabels] = [:]
        for object in objects where object.kind == "Namespace" && object.group.isEmpty {
            labels[object.name] = NamespaceSecurityLabels(labels: object.labels)
        }
        let subjects = Self.subjects(in: objects)
        var results: [PodSecurityResult] = []
        var counts: [String: (objects: Int, rejected: Int)] = [:]
        var rejectedObjects: [String: [String]] = [:]
        for subject in subjects {
            let enforced = labels[subject.namespace]?.enforce ?? .privileged
            var chosen = policy ?? enforced
            if policy == nil, let version { chosen.version = version }
            let result = PodSecurityResult(kind: subject.kind, namespace: subject.namespace, name: subject.name, policy: chosen,
                                           violations: chosen.evaluate(subject.pod), location: subject.location)
            results.append(result)
            let rejectedHere = policy == nil ? !result.allowed : !enforced.evaluate(subject.pod).isEmpty
            counts[subject.namespace, default: (0, 0)].objects += 1
            if rejectedHere {
                counts[subject.namespace, default: (0, 0)].rejected += 1
                rejectedObjects[subject.namespace, default: []].append("\(subject.kind) \(subject.name)")
            }
        }
        let names = Set(labels.keys).union(counts.keys).sorted()
        self.namespaces = names.map { name in
            NamespaceSecuritySummary(name: name, defined: labels[name] != nil, labels: labels[name] ?? NamespaceSecurityLabels(labels: [:]),
                                     objects: counts[name]?.objects ?? 0, rejected: counts[name]?.rejected ?? 0,
                                     rejectedObjects: rejectedObjects[name] ?? [])
        }
        self.results = results
        self.errors = problems.errors
    }

    /// Pods and pod templates, in input order, with the namespace defaulted as the API server would.
    /// An object whose pod spec has a field of the wrong type is reported and left out: judging
    /// what is left of it could allow what Kubernetes would refuse to decode.
    static func subjects(in objects: [ManifestObject]) -> [PodSecuritySubject] {
        workloadTemplates(in: objects).compactMap { w in
            let before = w.spec.problems.errors.count
            let annotations = w.template.object("metadata")?.stringMap("annotations") ?? [:]
            let pod = PodSpecModel(spec: w.spec, annotations: annotations)
            guard w.spec.problems.errors.count == before else { return nil }
            return PodSecuritySubject(kind: w.object.kind, namespace: w.namespace, name: w.object.name, pod: pod, location: w.object.root.location)
        }
    }

    /// Every Pod and pod-template-bearing object with its template and spec nodes; a workload
    /// without them is reported.
    static func workloadTemplates(in objects: [ManifestObject]) -> [(object: ManifestObject, namespace: String, template: ManifestNode, spec: ManifestNode)] {
        var out: [(ManifestObject, String, ManifestNode, ManifestNode)] = []
        for object in objects {
            let template: ManifestNode
            if object.kind == "Pod" && object.group.isEmpty {
                template = object.root
            } else if let path = templatePaths[object.kind] {
                var node: ManifestNode? = object.root
                for key in path { node = node?.object(key) }
                guard let node else {
                    object.root.error("missing required field \(path.joined(separator: "."))")
                    continue
                }
                template = node
            } else {
                continue
            }
            // A Pod written with status only (as manifests for the policy stage often are) has
            // no containers to judge; a workload without its template's spec is an error.
            if object.kind == "Pod" && template.child("spec") == nil { continue }
            guard let spec = template.object("spec") else {
                template.error("missing required field \(template.path.isEmpty ? "" : template.path + ".")spec")
                continue
            }
            out.append((object, object.namespace.isEmpty ? "default" : object.namespace, template, spec))
        }
        return out
    }
}
