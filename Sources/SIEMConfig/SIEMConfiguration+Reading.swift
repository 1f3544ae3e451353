import FlowCore
import Foundation
import Policy
import Query
import Yams

extension SIEMConfiguration {
    /// Most sinks in one file: each is a thread, a spool and a connection.
    public static let maximumSinks = 64

    /// Reads a configuration file (`flowlog export siem --config`); errors name the file,
    /// line:column and field (`sinks[1].transport`).
    public static func load(contentsOf path: String) throws -> SIEMConfiguration {
        try parse(yaml: try readText(path), file: path)
    }

    /// The text of a configuration file, refusing what is not UTF-8.
    public static func readText(_ path: String) throws -> String {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            let code: FlowlogError.Code = FileManager.default.fileExists(atPath: path) ? .io : .fileNotFound
            throw FlowlogError(code, "cannot read the SIEM configuration file", location: .init(file: path))
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw FlowlogError(.parse, "the configuration file is not UTF-8 text", location: .init(file: path))
        }
        return text
    }

    /// Parses configuration text. `section` names the mapping that holds the schema (the
    /// agent's file keeps it under `export.siem`); empty: the whole document.
    public static func parse(yaml text: String, file: String? = nil, section: [String] = []) throws -> SIEMConfiguration {
        // Depth, aliases and size first: Yams' composer recurses once per level.
        _ = try YAMLPrecheck.check(text, file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw SIEMConfigurationReader.syntaxError(error, file: file)
        }
        let reader = SIEMConfigurationReader(file: file)
        guard var node = root else {
            throw FlowlogError(.validation, "the file is empty; it needs a sinks list", location: .init(file: file, line: 1, column: 1, field: "sinks"))
        }
        var path = ""
        for key in section {
            path = path.isEmpty ? key : path + "." + key
            guard case .mapping(let mapping) = node, let child = mapping[key] else {
                throw reader.failure("no \(path) section", at: node, field: path)
            }
            node = child
        }
        return try reader.read(node, field: path)
    }
}

/// Walks the YAML nodes of a SIEM configuration, checking every key (with the agent's
/// configuration's checks: `YAMLFieldReading`).
struct SIEMConfigurationReader: YAMLFieldReading {
    let file: String?

    func read(_ node: Node, field: String) throws -> SIEMConfiguration {
        var configuration = SIEMConfiguration()
        var sawSinks = false
        for (key, value, path) in try entries(of: node, field: field, known: ["sinks", "spool-directory", "cluster", "audit-directory", "shutdown-drain"]) {
            switch key {
            case "shutdown-drain":
                let limit = try duration(value, field: path, allowZero: true)
                guard limit <= SIEMConfiguration.maximumShutdownDrain else {
                    throw failure("at most \(DurationText.format(SIEMConfiguration.maximumShutdownDrain)): the agent's shutdown waits for it", at: value, field: path)
                }
                configuration.shutdownDrain = limit
            case "audit-directory": configuration.auditDirectory = try text(value, field: path)
            case "sinks":
                configuration.sinks = try sinks(value, field: path)
                sawSinks = true
            case "spool-directory": configuration.spoolDirectory = try text(value, field: path)
            default: configuration.cluster = try text(value, field: path)
            }
        }
        guard sawSinks else { throw failure("a sinks list is required", at: node, field: join(field, "sinks")) }
        return configuration
    }

    private func sinks(_ node: Node, field: String) throws -> [SIEMConfiguration.Sink] {
        guard case .sequence(let sequence) = node, !sequence.isEmpty else {
            throw failure("expected a list of sinks (each with name and type)", at: node, field: field)
        }
        guard sequence.count <= SIEMConfiguration.maximumSinks else {
            throw failure("\(sequence.count) sinks; at most \(SIEMConfiguration.maximumSinks)", at: node, field: field)
        }
        var names = Set<String>()
        var result: [SIEMConfiguration.Sink] = []
        for (i, item) in sequence.enumerated() {
            let sink = try self.sink(item, field: "\(field)[\(i)]")
            guard names.insert(sink.name).inserted else {
                throw failure("a second sink named '\(sink.name)'; names must differ (each names a spool)", at: item, field: "\(field)[\(i)].name")
            }
            result.append(sink)
        }
        return result
    }

    static let sinkKeys = ["name", "type", "url", "address", "transport", "records", "filter", "tls", "token-file", "batch",
                           "spool-size", "retry-for", "syslog", "splunk", "elasticsearch"]

    private func sink(_ node: Node, field: String) throws -> SIEMConfiguration.Sink {
        let pairs = try entries(of: node, field: field, known: Self.sinkKeys)
        func required(_ key: String) throws -> (Node, String) {
            guard let pair = pairs.first(where: { $0.key == key }) else {
                throw failure("every sink needs a \(key)", at: node, field: join(field, key))
            }
            return (pair.value, pair.field)
        }
        let (nameNode, nameField) = try required("name")
        let name = try text(nameNode, field: nameField)
        guard !name.isEmpty, name.count <= 64, name.utf8.allSatisfy({ Self.isNameByte($0) }), name.first != "." else {
            throw failure("'\(name)' is not a sink name (1 to 64 letters, digits, '.', '_', '-'; it names a directory)", at: nameNode, field: nameField)
        }
        let (typeNode, typeField) = try required("type")
        let type = try choice(typeNode, field: typeField, SIEMConfiguration.SinkType.allCases.map { ($0.rawValue, $0) })
        var sink = SIEMConfiguration.Sink(name: name, type: type)
        var sawTransport = false
        for (key, value, path) in pairs {
            switch key {
            case "name", "type": break
            case "url":
                guard type != .syslog else { throw failure("a syslog sink takes an address (HOST:PORT), not a url", at: value, field: path) }
                let url = try text(value, field: path)
                do {
                    _ = try HTTPEndpoint(url: url)
                } catch let error as FlowlogError {
                    throw failure(error.message, at: value, field: path)
                }
                sink.url = url
            case "address":
                guard type == .syslog else { throw failure("a \(type.rawValue) sink takes a url, not an address", at: value, field: path) }
                let address = try text(value, field: path)
                guard HostAndPort(address) != nil else {
                    throw failure("'\(address)' is not HOST:PORT (a bracketed [IPv6]:PORT for IPv6 addresses)", at: value, field: path)
                }
                sink.address = address
            case "transport":
                guard type == .syslog else { throw failure("transport is for syslog sinks (HTTP sinks use https:// in the url for TLS)", at: value, field: path) }
                sink.transport = try choice(value, field: path, SIEMConfiguration.Transport.allCases.map { ($0.rawValue, $0) })
                sawTransport = true
            case "records":
                let kinds = try strings(value, field: path)
                guard !kinds.isEmpty else { throw failure("records must name at least one of flows, audit, findings", at: value, field: path) }
                var set = Set<RecordKind>()
                for kind in kinds {
                    guard let k = RecordKind(rawValue: kind) else {
                        throw failure("'\(kind)' is not one of: flows, audit, findings", at: value, field: path)
                    }
                    set.insert(k)
                }
                sink.records = set
            case "filter":
                let filter = try optionalText(value, field: path) ?? ""
                do {
                    _ = try FilterProgram(parsing: filter)
                } catch let error as FlowlogError {
                    throw failure("filter: \(FilterDiagnostic.render(error, filter: filter))", at: value, field: path)
                }
                sink.filter = filter
            case "tls": sink.tls = try tls(value, field: path)
            case "token-file": sink.tokenFile = try text(value, field: path)
            case "batch": sink.batching = try batching(value, field: path)
            case "spool-size": sink.spoolLimit = try byteSize(value, field: path, minimum: 64 << 10)
            case "retry-for": sink.retryFor = try duration(value, field: path)
            case "syslog":
                guard type == .syslog else { throw failure("a syslog section in a \(type.rawValue) sink", at: value, field: path) }
                sink.syslog = try syslog(value, field: path)
            case "splunk":
                guard type == .splunkHEC else { throw failure("a splunk section in a \(type.rawValue) sink", at: value, field: path) }
                sink.splunk = try splunk(value, field: path)
            default:
                guard type == .elasticsearch else { throw failure("an elasticsearch section in a \(type.rawValue) sink", at: value, field: path) }
                sink.elasticsearch = try elasticsearch(value, field: path)
            }
        }
        switch type {
        case .syslog:
            guard sink.address != nil else { throw failure("a syslog sink needs an address (HOST:PORT)", at: node, field: join(field, "address")) }
            if !sawTransport { sink.transport = .tcp }
            if sink.tls != nil && sink.transport != .tls {
                throw failure("a tls section needs transport: tls", at: node, field: join(field, "tls"))
            }
        case .splunkHEC, .elasticsearch:
            guard let url = sink.url else { throw failure("a \(type.rawValue) sink needs a url (http://HOST:PORT or https://)", at: node, field: join(field, "url")) }
            if sink.tls != nil && !url.lowercased().hasPrefix("https://") {
                throw failure("a tls section needs an https:// url", at: node, field: join(field, "tls"))
            }
            if type == .splunkHEC && sink.tokenFile == nil {
                throw failure("a splunk-hec sink needs a token-file (HEC refuses requests without a token)", at: node, field: join(field, "token-file"))
            }
        }
        return sink
    }

    /// Whether `text` may stand in an RFC 5424 header field of at most `limit` characters.
    static func isHeaderName(_ text: String, limit: Int) -> Bool {
        !text.isEmpty && text.utf8.count <= limit && text.utf8.allSatisfy { $0 >= 33 && $0 <= 126 }
    }

    static func isNameByte(_ b: UInt8) -> Bool {
        (48...57).contains(b) || (65...90).contains(b) || (97...122).contains(b) || b == 95 || b == 45 || b == 46
    }

    private func tls(_ node: Node, field: String) throws -> SIEMConfiguration.TLSFiles {
        var files = SIEMConfiguration.TLSFiles()
        for (key, value, path) in try entries(of: node, field: field, known: ["ca", "cert", "key", "server-name", "verify"]) {
            switch key {
            case "ca": files.ca = try text(value, field: path)
            case "cert": files.certificate = try text(value, field: path)
            case "key": files.key = try text(value, field: path)
            case "server-name": files.serverName = try text(value, field: path)
            default: files.verify = try bool(value, field: path)
            }
        }
        if (files.certificate == nil) != (files.key == nil) {
            throw failure("cert and key go together (a client certificate needs its key)", at: node, field: join(field, files.key == nil ? "key" : "cert"))
        }
        return files
    }

    private func batching(_ node: Node, field: String) throws -> SIEMConfiguration.Batching {
        var batching = SIEMConfiguration.Batching()
        for (key, value, path) in try entries(of: node, field: field, known: ["count", "bytes", "time"]) {
            switch key {
            case "count":
                batching.count = try integer(value, field: path, minimum: 1)
                guard batching.count <= SIEMConfiguration.Batching.maximumCount else {
                    throw failure("at most \(SIEMConfiguration.Batching.maximumCount) records per batch", at: value, field: path)
                }
            case "bytes":
                batching.bytes = try byteSize(value, field: path, minimum: 1024)
                guard batching.bytes <= SIEMConfiguration.Batching.maximumBytes else {
                    throw failure("at most \(SIEMConfiguration.Batching.maximumBytes) bytes per batch", at: value, field: path)
                }
            default: batching.time = try duration(value, field: path)
            }
        }
        return batching
    }

    static let facilities = ["kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
                             "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4",
                             "local5", "local6", "local7"]
    static let severities = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]

    private func syslog(_ node: Node, field: String) throws -> SIEMConfiguration.SyslogOptions {
        var options = SIEMConfiguration.SyslogOptions()
        let known = ["facility", "severity", "alert-severity", "app-name", "hostname", "enterprise-number"]
        for (key, value, path) in try entries(of: node, field: field, known: known) {
            switch key {
            case "facility": options.facility = try numbered(value, field: path, Self.facilities)
            case "severity": options.severity = try numbered(value, field: path, Self.severities)
            case "alert-severity": options.alertSeverity = try numbered(value, field: path, Self.severities)
            case "app-name":
                options.appName = try text(value, field: path)
                guard Self.isHeaderName(options.appName, limit: 48) else {
                    throw failure("app-name must be 1 to 48 printable ASCII characters without spaces", at: value, field: path)
                }
            case "hostname":
                let host = try text(value, field: path)
                guard Self.isHeaderName(host, limit: 255) else {
                    throw failure("hostname must be 1 to 255 printable ASCII characters without spaces", at: value, field: path)
                }
                options.hostname = host
            default:
                let number = try integer(value, field: path, minimum: 1)
                guard number <= Int(UInt32.max) else { throw failure("\(number) is not a private enterprise number", at: value, field: path) }
                options.enterpriseNumber = UInt32(number)
            }
        }
        return options
    }

    /// A name from `names` or its index (`local0` or `16`).
    private func numbered(_ node: Node, field: String, _ names: [String]) throws -> Int {
        let value = try text(node, field: field)
        if let i = names.firstIndex(of: value.lowercased()) { return i }
        if let n = Int(value), n >= 0, n < names.count { return n }
        throw failure("'\(value)' is not one of: \(names.joined(separator: ", ")) (or 0 to \(names.count - 1))", at: node, field: field)
    }

    private func splunk(_ node: Node, field: String) throws -> SIEMConfiguration.SplunkOptions {
        var options = SIEMConfiguration.SplunkOptions()
        for (key, value, path) in try entries(of: node, field: field, known: ["index", "source", "host", "ack", "ack-timeout"]) {
            switch key {
            case "index": options.index = try text(value, field: path)
            case "source": options.source = try text(value, field: path)
            case "host": options.host = try text(value, field: path)
            case "ack": options.acknowledge = try bool(value, field: path)
            default: options.acknowledgeTimeout = try duration(value, field: path)
            }
        }
        return options
    }

    private func elasticsearch(_ node: Node, field: String) throws -> SIEMConfiguration.ElasticsearchOptions {
        var options = SIEMConfiguration.ElasticsearchOptions()
        for (key, value, path) in try entries(of: node, field: field, known: ["flows-index", "audit-index", "findings-index"]) {
            let index = try text(value, field: path)
            // Elasticsearch's own rules for index names: lowercase, no path or wildcard characters.
            guard !index.isEmpty, index.utf8.count <= 255, index == index.lowercased(), !index.hasPrefix("-"), !index.hasPrefix("_"),
                  !index.hasPrefix("+"), index != ".", index != "..",
                  index.unicodeScalars.allSatisfy({ !"\\/*?\"<>| ,#:".unicodeScalars.contains($0) && $0.value > 0x20 }) else {
                throw failure("'\(index)' is not an index or data stream name (lowercase, no \\ / * ? \" < > | space , # :)", at: value, field: path)
            }
            switch key {
            case "flows-index": options.flowsIndex = index
            case "audit-index": options.auditIndex = index
            default: options.findingsIndex = index
            }
        }
        return options
    }
}
