import FlowCore
import SIEMConfig

/// Called by libFuzzer for each input: the bytes are read as a `flowlog export siem` file and
/// as an agent file's `export.siem` section. Each read gives a configuration that holds what
/// the schema promises, or an error that names the file and the position (and, for a value
/// below the root, its field); never a crash or a hang.
func siemConfigFuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for section in [[], ["export", "siem"]] as [[String]] {
        do {
            let configuration = try SIEMConfiguration.parse(yaml: text, file: "fuzz.yaml", section: section)
            check(configuration)
        } catch let error as FlowlogError {
            guard error.location?.file == "fuzz.yaml" else { fatalError("error without its file: \(error)") }
            // Where: a line (YAML errors, values) or an offset (undecodable text); a value error
            // below the document's root names its field too.
            guard error.location?.line != nil || error.location?.offset != nil || error.message.contains("bytes long") else {
                fatalError("error without its position: \(error)")
            }
            if error.code == .validation, error.location?.field == nil, !error.message.hasPrefix("expected a mapping"),
               !error.message.hasPrefix("the file is empty"), !error.message.hasPrefix("no export"),
               // A key that is empty or not plain text has no field name of its own; where it is, is.
               !((error.message.hasPrefix("an empty key") || error.message.hasPrefix("a key must be plain text")) && error.location?.line != nil) {
                fatalError("a value error without its field: \(error)")
            }
        } catch {
            fatalError("not a FlowlogError: \(error)")
        }
    }
    return 0
}

/// What a configuration that loads must hold.
private func check(_ configuration: SIEMConfiguration) {
    guard !configuration.sinks.isEmpty, configuration.sinks.count <= SIEMConfiguration.maximumSinks else {
        fatalError("\(configuration.sinks.count) sinks loaded")
    }
    var names = Set<String>()
    for sink in configuration.sinks {
        guard names.insert(sink.name).inserted, !sink.name.isEmpty, !sink.name.contains("/") else { fatalError("sink name '\(sink.name)'") }
        guard !sink.records.isEmpty else { fatalError("a sink with no records") }
        guard sink.batching.count >= 1, sink.batching.count <= SIEMConfiguration.Batching.maximumCount,
              sink.batching.bytes >= 1024, sink.batching.bytes <= SIEMConfiguration.Batching.maximumBytes,
              sink.batching.time > .zero else { fatalError("batching out of range: \(sink.batching)") }
        switch sink.type {
        case .syslog:
            guard let address = sink.address, HostAndPort(address) != nil, sink.url == nil else { fatalError("syslog sink without its address") }
            guard (0...23).contains(sink.syslog.facility), (0...7).contains(sink.syslog.severity) else { fatalError("PRI out of range") }
            if sink.tls != nil && sink.transport != .tls { fatalError("tls files without transport tls") }
        case .splunkHEC, .elasticsearch:
            guard let url = sink.url, (try? HTTPEndpoint(url: url)) != nil, sink.address == nil else { fatalError("HTTP sink without its url") }
            if sink.type == .splunkHEC && sink.tokenFile == nil { fatalError("HEC sink without a token file") }
        }
    }
}
