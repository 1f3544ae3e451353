import FlowCore
import FlowRing
import Foundation
import Logging
import Policy
import Yams

extension AgentConfiguration {
    /// Reads a configuration file. Every key is optional; unknown keys and bad values are errors
    /// that name the file, the line and the field (`store.segment-size`).
    public static func load(contentsOf path: String) throws -> AgentConfiguration {
        let text: String
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            guard let decoded = String(data: data, encoding: .utf8) else {
                throw FlowlogError(.parse, "the configuration file is not UTF-8 text", location: .init(file: path))
            }
            text = decoded
        } catch let error as FlowlogError {
            throw error
        } catch {
            let code: FlowlogError.Code = FileManager.default.fileExists(atPath: path) ? .io : .fileNotFound
            throw FlowlogError(code, "cannot read the configuration file", location: .init(file: path))
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses configuration text; `file` is only used in error locations.
    public static func parse(yaml text: String, file: String? = nil) throws -> AgentConfiguration {
        let root: Node?
        // Depth, aliases and size before Yams (which recurses per level); duplicate keys are
        // the reader's own error below, with the field.
        _ = try YAMLPrecheck.check(text, file: file)
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationReader.syntaxError(error, file: file)
        }
        var configuration = AgentConfiguration()
        guard let root else { return configuration }  // an empty file: all defaults
        let reader = ConfigurationReader(file: file)
        try reader.read(root, into: &configuration)
        configuration.export.siem?.text = text
        return configuration
    }
}

/// Walks the YAML node tree, checking every key against the known ones (the checks are
/// `YAMLFieldReading`'s, shared with the SIEM configuration).
struct ConfigurationReader: YAMLFieldReading {
    let file: String?
}
