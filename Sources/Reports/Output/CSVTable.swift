import Foundation

/// RFC 4180 text: comma-separated, CRLF-free (`\n` line ends, as Calico's templates write),
/// a cell quoted when it holds a comma, a quote or a line break.
struct CSVTable {
    private(set) var text: String

    init(header: [String]) {
        text = ""
        append(header)
    }

    mutating func append(_ cells: [String]) {
        text += cells.map(Self.escape).joined(separator: ",")
        text += "\n"
    }

    static func escape(_ cell: String) -> String {
        guard cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return cell }
        return "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension Bool {
    var csv: String { self ? "true" : "false" }
}
