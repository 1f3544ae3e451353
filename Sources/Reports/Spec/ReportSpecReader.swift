import ConfigAudit
import FlowCore
import Policy

/// Validates one `GlobalReport` document field by field; problems go to the document's
/// diagnostics with file:line:column and the field path.
struct ReportSpecReader {
    let document: ManifestField

    /// Fields Calico's GlobalReport spec defines; anything else is most likely a typo.
    static let specFields: Set<String> = ["reportType", "endpoints", "schedule", "jobNodeSelector", "suspend", "cis"]
    static let endpointFields: Set<String> = ["selector", "namespaces", "serviceAccounts"]
    static let nameSelectionFields: Set<String> = ["names", "selector"]
    static let cisFields: Set<String> = ["highThreshold", "medThreshold", "includeUnscoredTests", "numFailedTests", "resultsFilters"]
    /// More names than this in one list is not a report scope anyone writes by hand.
    static let maximumNames = 1_024

    func read() -> ReportSpec? {
        var doc = document
        let errorsBefore = doc.diagnostics.errors.count
        let apiVersion = doc.string("apiVersion") ?? ""
        let name = doc.child("metadata")?.string("name") ?? ""
        doc.resource = name.isEmpty ? "GlobalReport" : "GlobalReport \(name)"
        if apiVersion != "projectcalico.org/v3" {
            (doc.child("apiVersion") ?? doc).error("apiVersion must be projectcalico.org/v3, not '\(apiVersion)'")
        }
        guard let metadata = doc.child("metadata") else {
            doc.error("missing required field metadata.name")
            return nil
        }
        if let nameField = metadata.child("name") {
            Self.checkName(nameField, name)
        } else {
            metadata.error("missing required field metadata.name")
        }
        if metadata.child("namespace") != nil {
            metadata.child("namespace")?.warning("GlobalReport is cluster-scoped; the namespace is ignored")
        }
        guard var spec = doc.child("spec") else {
            doc.error("missing required field spec")
            return nil
        }
        spec.resource = doc.resource
        Self.checkKnown(spec, Self.specFields)
        let type = reportType(spec)
        let endpoints = endpointSelection(spec)
        let schedule = spec.child("schedule").flatMap(Self.schedule)
        let suspend = Self.bool(spec, "suspend") ?? false
        let cis = cisOptions(spec)
        guard doc.diagnostics.errors.count == errorsBefore, let type else { return nil }
        return ReportSpec(name: name, type: type, endpoints: endpoints, schedule: schedule, suspend: suspend, cis: cis,
                          origin: document.file)
    }

    private func reportType(_ spec: ManifestField) -> ReportType? {
        guard let text = spec.requiredString("reportType") else { return nil }
        guard let type = ReportType(rawValue: text) else {
            spec.child("reportType")?.error("unknown report type '\(text)'; expected one of \(ReportType.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return type
    }

    private func endpointSelection(_ spec: ManifestField) -> EndpointSelection {
        guard let endpoints = spec.child("endpoints") else { return .everything }
        guard endpoints.isMapping else {
            endpoints.error("expected a map with selector, namespaces, serviceAccounts")
            return .everything
        }
        Self.checkKnown(endpoints, Self.endpointFields)
        return EndpointSelection(selector: endpoints.selector("selector"),
                                 namespaces: endpoints.child("namespaces").map(nameSelection),
                                 serviceAccounts: endpoints.child("serviceAccounts").map(nameSelection))
    }

    private func nameSelection(_ f: ManifestField) -> NameSelection {
        guard f.isMapping else {
            f.error("expected a map with names and/or selector")
            return NameSelection()
        }
        Self.checkKnown(f, Self.nameSelectionFields)
        let list = f.list("names")
        if list.count > Self.maximumNames {
            f.child("names")?.error("\(list.count) names; at most \(Self.maximumNames) are allowed")
        }
        var names: [String] = []
        for entry in list.prefix(Self.maximumNames) {
            guard let text = entry.scalarText else { continue }
            if Self.isDNSLabel(text) { names.append(text) } else { entry.error("'\(text)' is not a valid name (lower-case letters, digits and '-', at most 63)") }
        }
        return NameSelection(names: names, selector: f.selector("selector"))
    }

    private func cisOptions(_ spec: ManifestField) -> CISSettings {
        var options = CISSettings()
        guard let cis = spec.child("cis") else { return options }
        guard cis.isMapping else {
            cis.error("expected a map")
            return options
        }
        Self.checkKnown(cis, Self.cisFields)
        if let v = cis.integer("highThreshold", in: 0...100) { options.highThreshold = v }
        if let v = cis.integer("medThreshold", in: 0...100) { options.medThreshold = v }
        if options.medThreshold > options.highThreshold {
            cis.child("medThreshold")?.error("medThreshold (\(options.medThreshold)) must not exceed highThreshold (\(options.highThreshold))")
        }
        if let v = Self.bool(cis, "includeUnscoredTests") { options.includeUnscoredTests = v }
        if let v = cis.integer("numFailedTests", in: 0...1_000) { options.numFailedTests = v }
        let filters = cis.list("resultsFilters")
        if filters.count > Self.maximumNames { cis.child("resultsFilters")?.error("\(filters.count) filters; at most \(Self.maximumNames)") }
        for entry in filters.prefix(Self.maximumNames) { options.resultsFilters.append(resultsFilter(entry)) }
        return options
    }

    /// One `resultsFilters` entry. Unlike Calico, an exclusion must say why and until when
    /// (as `flowlog config cis` requires).
    private func resultsFilter(_ entry: ManifestField) -> CISSettings.ResultsFilter {
        var filter = CISSettings.ResultsFilter()
        guard entry.isMapping else {
            entry.error("expected a map with benchmarkSelection, include, exclude")
            return filter
        }
        Self.checkKnown(entry, ["benchmarkSelection", "include", "exclude"])
        filter.kubernetesVersion = entry.child("benchmarkSelection")?.string("kubernetesVersion") ?? ""
        for item in entry.list("include") {
            guard let number = item.scalarText else { continue }
            if Self.isTestNumber(number) { filter.include.append(number) } else { item.error("'\(number)' is not a test or section number such as 1.2.3 or 1.2") }
        }
        for item in entry.list("exclude") {
            guard item.isMapping else {
                item.error("an exclusion needs test, reason and expires (YYYY-MM-DD); a bare test number is not accepted")
                continue
            }
            Self.checkKnown(item, ["test", "reason", "expires"])
            let test = item.string("test") ?? "", reason = item.string("reason") ?? "", expires = item.string("expires") ?? ""
            if !Self.isTestNumber(test) { (item.child("test") ?? item).error("test must be a test or section number such as 1.2.3 or 1.2") }
            if reason.allSatisfy({ $0 == " " }) { (item.child("reason") ?? item).error("reason is required") }
            if !Self.isDate(expires) { (item.child("expires") ?? item).error("expires must be a date YYYY-MM-DD") }
            filter.exclude.append(CISExclusion(test: test, reason: reason, expires: expires))
        }
        return filter
    }

    static func isTestNumber(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return !parts.isEmpty && parts.count <= 6 && parts.allSatisfy { !$0.isEmpty && $0.count <= 4 && $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
    }

    static func isDate(_ text: String) -> Bool {
        guard let t = Timestamp(rfc3339: text + "T00:00:00Z"), text.utf8.count == 10 else { return false }
        return t.wholeSecondsRFC3339.hasPrefix(text)
    }

    // MARK: - Field checks

    static func schedule(_ f: ManifestField) -> CronSchedule? {
        guard let text = f.scalarText else { return nil }
        do {
            return try CronSchedule(parsing: text)
        } catch let error as FlowlogError {
            f.error("invalid schedule '\(text)': \(error.message)")
            return nil
        } catch {
            f.error("invalid schedule '\(text)'")
            return nil
        }
    }

    static func bool(_ f: ManifestField, _ key: String) -> Bool? {
        guard let c = f.child(key), let text = c.scalarText else { return nil }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            c.error("'\(text)' is not true or false")
            return nil
        }
    }

    static func checkKnown(_ f: ManifestField, _ known: Set<String>) {
        guard f.node.isMapping else { return }
        for (key, _) in f.node.pairs {
            guard let name = key.scalarText else { continue }
            if !known.contains(name) {
                let path = f.path.isEmpty ? name : "\(f.path).\(name)"
                let at = ManifestField(node: key, path: path, file: f.file, resource: f.resource, diagnostics: f.diagnostics)
                at.error("unknown field; expected one of \(known.sorted().joined(separator: ", "))")
            }
        }
    }

    /// Kubernetes' DNS-1123 subdomain rule for object names.
    static func checkName(_ f: ManifestField, _ name: String) {
        let bytes = Array(name.utf8)
        let valid = !bytes.isEmpty && bytes.count <= 253 && bytes.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D || $0 == 0x2E
        } && isAlphanumeric(bytes.first!) && isAlphanumeric(bytes.last!)
        if !valid { f.error("'\(name)' is not a valid name (lower-case letters, digits, '-' and '.', at most 253)") }
    }

    static func isDNSLabel(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return !bytes.isEmpty && bytes.count <= 63 && bytes.allSatisfy {
            ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2D
        } && isAlphanumeric(bytes.first!) && isAlphanumeric(bytes.last!)
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
}
