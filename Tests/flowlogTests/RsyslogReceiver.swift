import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real Debian `rsyslogd` on 127.0.0.1 for the syslog sink tests, started from a config
/// written to a temporary directory: an `imtcp` input on an ephemeral port (plain TCP, or TLS
/// through the `ossl` stream driver with a CA and server certificate made by `openssl` for the
/// test), writing every message's raw text and its parsed RFC 5424 fields to files.
///
/// Where rsyslogd is not installed the tests skip and say why, unless
/// FLOWLOG_REQUIRE_RSYSLOG=1 (CI), where they fail.
final class RsyslogReceiver {
    static let executable = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let required = ProcessInfo.processInfo.environment["FLOWLOG_REQUIRE_RSYSLOG"] == "1"
    static let tlsModule = ["/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_ossl.so", "/usr/lib/aarch64-linux-gnu/rsyslog/lmnsd_ossl.so",
                            "/usr/lib/rsyslog/lmnsd_ossl.so"].contains { FileManager.default.fileExists(atPath: $0) }
    static var available: Bool { executable != nil || required }
    static let skipReason = Comment(rawValue: "rsyslog tests skipped: rsyslogd is not installed (Debian: apt-get install rsyslog rsyslog-openssl)")

    let directory: String
    let port: Int
    let caFile: String?
    private let child: Child
    var rawFile: String { directory + "/raw.log" }
    var parsedFile: String { directory + "/parsed.log" }

    init(tls: Bool) throws {
        guard let executable = Self.executable else {
            throw ReceiverError("rsyslogd is not installed, and FLOWLOG_REQUIRE_RSYSLOG=1 says the syslog tests must run")
        }
        directory = FlowlogRunner.temporaryPath("rsyslog")
        try FileManager.default.createDirectory(atPath: directory + "/work", withIntermediateDirectories: true)
        var global = #"global(workDirectory="\#(directory)/work" maxMessageSize="256k""#
        var input = #"module(load="imtcp""#
        if tls {
            guard Self.tlsModule || Self.required == false else {
                throw ReceiverError("rsyslog's openssl stream driver is missing (Debian: apt-get install rsyslog-openssl)")
            }
            try Self.makeCertificates(in: directory)
            global += #" defaultNetstreamDriver="ossl" defaultNetstreamDriverCAFile="\#(directory)/ca.pem""#
                + #" defaultNetstreamDriverCertFile="\#(directory)/server.pem" defaultNetstreamDriverKeyFile="\#(directory)/server.key""#
            input += #" streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon""#
            caFile = directory + "/ca.pem"
        } else {
            caFile = nil
        }
        let config = """
            \(global))
            \(input))
            input(type="imtcp" address="127.0.0.1" port="0" listenPortFileName="\(directory)/port" ruleset="capture")
            template(name="raw" type="string" string="%rawmsg%\\n")
            template(name="parsed" type="string" string="%protocol-version%|%hostname%|%app-name%|%procid%|%msgid%|%pri%|%structured-data%|%msg%\\n")
            ruleset(name="capture") {
              action(type="omfile" file="\(directory)/raw.log" template="raw")
              action(type="omfile" file="\(directory)/parsed.log" template="parsed")
            }
            """
        try config.write(toFile: directory + "/rsyslog.conf", atomically: true, encoding: .utf8)
        child = try Child(executable, ["-n", "-f", directory + "/rsyslog.conf", "-i", directory + "/rsyslogd.pid"],
                          stdout: directory + "/rsyslogd.out", stderr: directory + "/rsyslogd.out")
        var found: Int?
        let deadline = Date().addingTimeInterval(15)
        while found == nil, Date() < deadline, child.isRunning {
            if let text = try? String(contentsOfFile: directory + "/port", encoding: .utf8), let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0 {
                found = p
            } else {
                usleep(50_000)
            }
        }
        guard let found else {
            child.signal(SIGKILL)
            _ = child.wait()
            let log = (try? String(contentsOfFile: directory + "/rsyslogd.out", encoding: .utf8)) ?? ""
            throw ReceiverError("rsyslogd did not start: \(log)")
        }
        port = found
    }

    deinit {
        child.signal(SIGTERM)
        _ = child.wait()
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct ReceiverError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// A throwaway CA and a server certificate for `localhost` only (no IP address: connecting to
    /// 127.0.0.1, the name given as `server-name` is what makes it match), signed by the CA.
    static func makeCertificates(in directory: String) throws {
        let script = """
            set -e
            cd '\(directory)'
            openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=flowlog-test-ca 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
            printf 'subjectAltName=DNS:localhost\\n' > san.ext
            openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 -extfile san.ext 2>/dev/null
            """
        let result = try FlowlogRunner.run(executable: "/bin/sh", ["-c", script])
        guard result.status == 0 else { throw ReceiverError("openssl failed: \(result.stderr)") }
    }

    /// The raw messages received so far, one per line (flowlog's messages hold no line ends).
    func rawMessages() -> [String] {
        ((try? String(contentsOfFile: rawFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func parsedMessages() -> [String] {
        ((try? String(contentsOfFile: parsedFile, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Waits until `count` messages arrived (or `seconds` passed); returns them.
    func awaitMessages(_ count: Int, seconds: Double = 30) -> [String] {
        let deadline = Date().addingTimeInterval(seconds)
        var messages = rawMessages()
        while messages.count < count, Date() < deadline {
            usleep(100_000)
            messages = rawMessages()
        }
        // Anything beyond the count would be a duplicate: give it a moment to show.
        usleep(300_000)
        return rawMessages()
    }
}
