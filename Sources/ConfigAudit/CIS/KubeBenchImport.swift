import FlowCore

/// Node results (sections 1–4) from `kube-bench --json` output, as kube-bench writes it: an
/// object `{"Controls": [...], "Totals": {...}}` (v0.6 and later), or a bare array of controls, or
/// one controls object (earlier versions). Section 5 results are left out: flowlog judges those
/// from API objects.
enum KubeBenchImport {
    struct Node {
        let name: String
        let version: String
        let results: [CISTestResult]
    }

    static func read(path: String, node: String?, limits: ManifestLimits, problems: ManifestProblems) -> Node {
        var reader = ManifestDocumentReader(limits: limits, problems: problems)
        return read(documents: reader.documents(path: path), node: node ?? defaultNodeName(path))
    }

    static func read(text: String, file: String, node: String, limits: ManifestLimits, problems: ManifestProblems) -> Node {
        var reader = ManifestDocumentReader(limits: limits, problems: problems)
        return read(documents: reader.documents(text: text, file: file), node: node)
    }

    private static func read(documents: [ManifestNode], node name: String) -> Node {
        var results: [CISTestResult] = []
        var version = ""
        for document in documents {
            for controls in controlsList(document) {
                guard controls.isMapping else {
                    controls.error("expected a kube-bench controls object")
                    continue
                }
                if version.isEmpty { version = controls.string("detected_version") ?? "" }
                let sectionID = controls.string("id") ?? ""
                if sectionID == "5" { continue }
                for group in controls.list("tests") {
                    let section = group.string("section") ?? ""
                    let sectionTitle = group.string("desc") ?? ""
                    for test in group.list("results") {
                        guard let number = test.string("test_number"), CISNumber.isValid(number) else {
                            (test.child("test_number") ?? test).error("missing or malformed test_number")
                            continue
                        }
                        guard let statusText = test.string("status"), let status = CISStatus(rawValue: statusText) else {
                            (test.child("status") ?? test).error("status must be PASS, FAIL, WARN or INFO")
                            continue
                        }
                        var offenders: [CISOffender] = []
                        let actual = test.string("actual_value") ?? ""
                        let expected = test.string("expected_result") ?? ""
                        if status != .pass, !(actual.isEmpty && expected.isEmpty) {
                            offenders.append(CISOffender(object: "Node \(name)", detail: [actual.isEmpty ? nil : "actual: \(actual)", expected.isEmpty ? nil : "expected: \(expected)"].compactMap { $0 }.joined(separator: "; ")))
                        }
                        results.append(CISTestResult(
                            node: name, number: number, section: section, sectionTitle: sectionTitle,
                            title: test.string("test_desc") ?? "", scored: test.bool("scored") ?? false, status: status,
                            offenders: offenders, remediation: test.string("remediation") ?? test.stringList("test_info").first ?? "",
                            source: .kubeBench))
                    }
                }
            }
        }
        return Node(name: name, version: version, results: results)
    }

    private static func controlsList(_ document: ManifestNode) -> [ManifestNode] {
        if document.isMapping, document.child("Controls") != nil { return document.list("Controls") }
        if document.isMapping { return [document] }
        return document.sequenceElements
    }

    /// `node-1.json` → `node-1`.
    static func defaultNodeName(_ path: String) -> String {
        let file = path.split(separator: "/").last.map(String.init) ?? path
        if let dot = file.lastIndex(of: "."), dot != file.startIndex { return String(file[..<dot]) }
        return file
    }
}
