import Foundation

/// RFC 6902 JSON Patch between two versions of an object, and its application.
///
/// The difference is structural: members added, removed or replaced by name; arrays compared
/// index by index, with a tail of additions or removals (removals from the end backwards, so
/// every index is valid when its operation applies). Applying the result to `from` gives `to`.
public enum JSONPatch {
    public static func difference(from: JSONValue, to: JSONValue) -> JSONValue {
        var operations: [JSONValue] = []
        collect(from, to, path: "", into: &operations)
        return .array(operations)
    }

    private static func operation(_ op: String, _ path: String, _ value: JSONValue? = nil) -> JSONValue {
        var members = [JSONMember("op", .string(op)), JSONMember("path", .string(path))]
        if let value { members.append(JSONMember("value", value)) }
        return .object(members)
    }

    private static func collect(_ a: JSONValue, _ b: JSONValue, path: String, into operations: inout [JSONValue]) {
        if a == b { return }
        switch (a, b) {
        case (.object(let left), .object(let right)):
            for member in left where !right.contains(where: { $0.key == member.key }) {
                operations.append(operation("remove", path + "/" + escape(member.key)))
            }
            for member in right {
                let child = path + "/" + escape(member.key)
                if let old = left.first(where: { $0.key == member.key }) {
                    collect(old.value, member.value, path: child, into: &operations)
                } else {
                    operations.append(operation("add", child, member.value))
                }
            }
        case (.array(let left), .array(let right)):
            let common = min(left.count, right.count)
            for index in 0..<common { collect(left[index], right[index], path: path + "/\(index)", into: &operations) }
            if right.count > common {
                for index in common..<right.count { operations.append(operation("add", path + "/\(index)", right[index])) }
            } else {
                for index in stride(from: left.count - 1, through: common, by: -1) {
                    operations.append(operation("remove", path + "/\(index)"))
                }
            }
        default:
            operations.append(operation("replace", path, b))
        }
    }

    /// A JSON Pointer token (RFC 6901): `~` → `~0`, `/` → `~1`.
    static func escape(_ key: String) -> String {
        // A byte scan: Foundation's substring search here cost a twentieth of a whole ingest.
        guard key.utf8.contains(where: { $0 == UInt8(ascii: "~") || $0 == UInt8(ascii: "/") }) else { return key }
        return key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func unescape(_ token: Substring) -> String {
        String(token).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
    }

    public struct ApplyError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// Applies `add`, `remove` and `replace` operations (what `difference` produces).
    public static func apply(_ patch: JSONValue, to document: JSONValue) throws(ApplyError) -> JSONValue {
        guard let operations = patch.arrayValue else { throw ApplyError(description: "a patch is an array of operations") }
        var result = document
        for operation in operations {
            guard let op = operation["op"]?.stringValue, let path = operation["path"]?.stringValue else {
                throw ApplyError(description: "an operation needs op and path")
            }
            let tokens = path.isEmpty ? [] : path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map(unescape)
            result = try apply(op, tokens[...], value: operation["value"], to: result)
        }
        return result
    }

    private static func apply(_ op: String, _ tokens: ArraySlice<String>, value: JSONValue?, to node: JSONValue) throws(ApplyError) -> JSONValue {
        guard let first = tokens.first else {
            guard op != "remove", let value else { throw ApplyError(description: "cannot \(op) the whole document") }
            return value
        }
        let rest = tokens.dropFirst()
        switch node {
        case .object(var members):
            let position = members.firstIndex { $0.key == first }
            if rest.isEmpty {
                switch op {
                case "add", "replace":
                    guard let value else { throw ApplyError(description: "\(op) needs a value") }
                    if let position { members[position].value = value } else if op == "add" {
                        members.append(JSONMember(first, value))
                    } else { throw ApplyError(description: "replace of missing member \(first)") }
                case "remove":
                    guard let position else { throw ApplyError(description: "remove of missing member \(first)") }
                    members.remove(at: position)
                default: throw ApplyError(description: "unsupported op \(op)")
                }
                return .object(members)
            }
            guard let position else { throw ApplyError(description: "no member \(first)") }
            members[position].value = try apply(op, rest, value: value, to: members[position].value)
            return .object(members)
        case .array(var items):
            let index = first == "-" ? items.count : Int(first) ?? -1
            guard index >= 0, index <= items.count else { throw ApplyError(description: "bad array index \(first)") }
            if rest.isEmpty {
                switch op {
                case "add":
                    guard let value else { throw ApplyError(description: "add needs a value") }
                    items.insert(value, at: index)
                case "replace":
                    guard let value, index < items.count else { throw ApplyError(description: "bad replace at \(first)") }
                    items[index] = value
                case "remove":
                    guard index < items.count else { throw ApplyError(description: "bad remove at \(first)") }
                    items.remove(at: index)
                default: throw ApplyError(description: "unsupported op \(op)")
                }
                return .array(items)
            }
            guard index < items.count else { throw ApplyError(description: "bad array index \(first)") }
            items[index] = try apply(op, rest, value: value, to: items[index])
            return .array(items)
        default:
            throw ApplyError(description: "path goes through a scalar at \(first)")
        }
    }
}
