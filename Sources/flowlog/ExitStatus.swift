import ArgumentParser
import FlowCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one exit-status scheme of every subcommand (also in `flowlog --help` and the README).
enum ExitStatus: Int32 {
    case success = 0
    /// The command ran and failed: a missing file or store, an I/O error, a capture cut short,
    /// problems found by `store verify`, an agent stopped by an error.
    case failure = 1
    /// What flowlog was given to read is wrong: not a capture file, manifests or a
    /// configuration that do not load, a filter or selector that does not parse.
    case badInput = 2
    /// The command line is wrong: an unknown command or option, a missing or bad value.
    case usage = 64

    static let help = """
        Exit status: 0 success; 1 the command failed (missing file or store, I/O error, capture \
        cut short, problems found by store verify); 2 bad input (not a capture file, manifests or \
        configuration that do not load, a filter or selector that does not parse); 64 a usage \
        error (unknown command or option, missing or bad value).
        """

    /// Where a stage's error belongs.
    init(_ error: FlowlogError) {
        switch error.code {
        case .invalidArgument: self = .usage
        case .unsupportedFormat, .parse, .validation, .newerFormat, .truncated, .corrupt: self = .badInput
        default: self = .failure
        }
    }

    var exitCode: ExitCode { ExitCode(rawValue) }

    /// Ends the process with `code`.
    static func terminate(_ code: Int32) -> Never {
        #if canImport(Glibc)
        Glibc.exit(code)
        #else
        Darwin.exit(code)
        #endif
    }
}
