import FlowCore
import Foundation
@testable import SIEMConfig
@testable import SIEMExport
import Testing

/// Splunk HEC and `_bulk` over HTTPS against the test receivers speaking TLS only, with a
/// throwaway CA: the server's certificate names only `localhost` (so connecting to 127.0.0.1
/// passes only with `server-name: localhost`), and the server requires a client certificate
/// signed by the same CA.
@Suite("SIEM HTTP sinks over TLS", .serialized)
struct HTTPSinkTLSTests {
    /// Certificates made by `openssl` for one test run.
    struct Certificates {
        let directory: String
        var ca: String { directory + "/ca.pem" }
        var otherCA: String { directory + "/other-ca.pem" }
        var server: TestReceiver.TLS { .init(certificate: directory + "/server.pem", key: directory + "/server.key", clientCA: ca) }

        static let shared: Result<Certificates, Error> = Result { try Certificates() }

        init() throws {
            directory = TestStore.temporaryDirectory("tls")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let script = """
                set -e
                cd '\(directory)'
                make_ca() { openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.pem" -days 2 -subj "/CN=$1" 2>/dev/null; }
                sign() {  # NAME CA EXTENSIONS
                    openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
                    printf '%s\\n' "$3" > "$1.ext"
                    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 -extfile "$1.ext" 2>/dev/null
                }
                make_ca ca
                make_ca other-ca
                sign server ca 'subjectAltName=DNS:localhost'
                sign client ca 'extendedKeyUsage=clientAuth'
                sign stranger other-ca 'extendedKeyUsage=clientAuth'
                """
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw FlowlogError(.io, "openssl could not make the test certificates (is openssl installed?)")
            }
        }

        func files(ca: String? = nil, client: String? = "client", serverName: String? = "localhost") -> SIEMConfiguration.TLSFiles {
            var files = SIEMConfiguration.TLSFiles()
            files.ca = ca ?? self.ca
            if let client {
                files.certificate = directory + "/\(client).pem"
                files.key = directory + "/\(client).key"
            }
            files.serverName = serverName
            return files
        }
    }

    static func receiver(_ certificates: Certificates) throws -> TestReceiver {
        try TestReceiver(tls: certificates.server) { request, _ in
            if request.uri == "/_bulk" { return .init(200, HTTPSinkTests.bulkAnswer(request.text) { _ in 201 }) }
            return .init(200, #"{"text":"Success","code":0}"#)
        }
    }

    @Test("HEC over HTTPS: the test CA, a client certificate, server-name checked; every flow delivered")
    func hecOverTLS() throws {
        let certificates = try Certificates.shared.get()
        let setup = try HTTPSinkTests.setup("hec-tls", count: 700)
        defer { HTTPSinkTests.cleanup(setup) }
        let receiver = try Self.receiver(certificates)
        #expect(receiver.url.hasPrefix("https://127.0.0.1:"))
        var sink = HTTPSinkTests.hecSink(receiver.url, tokenFile: setup.tokenFile)
        sink.tls = certificates.files()
        let result = HTTPSinkTests.run(sink, store: setup.store)
        #expect(result.failure == nil, "\(result.failure ?? "")")
        #expect(result.metrics.sent == 700)
        let requests = receiver.requests
        #expect(requests.count == 3)
        var events = 0
        for request in requests {
            #expect(request.uri == "/services/collector/event")
            #expect(request.header("Authorization") == "Splunk \(HTTPSinkTests.token)")
            // Requests name the checked server name; the connection went to the url's address.
            #expect(request.header("Host") == "localhost:\(receiver.port)")
            events += try HTTPSinkTests.events(request.body).count
        }
        #expect(events == 700)
        #expect(receiver.handshakeFailures.all.isEmpty)
    }

    @Test("_bulk over HTTPS: the same; the documents arrive with their ids")
    func bulkOverTLS() throws {
        let certificates = try Certificates.shared.get()
        let setup = try HTTPSinkTests.setup("bulk-tls", count: 600)
        defer { HTTPSinkTests.cleanup(setup) }
        let receiver = try Self.receiver(certificates)
        var sink = HTTPSinkTests.bulkSink(receiver.url)
        sink.tls = certificates.files()
        let result = HTTPSinkTests.run(sink, store: setup.store)
        #expect(result.failure == nil, "\(result.failure ?? "")")
        #expect(result.metrics.sent == 600)
        let ids = receiver.requests.flatMap { $0.text.split(separator: "\n").filter { $0.hasPrefix(#"{"create""#) } }
        #expect(ids.count == 600 && Set(ids).count == 600)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var name: String
        var ca: Bool
        var client: String?
        var serverName: String?
        var message: String
        var testDescription: String { name }
    }

    @Test("a wrong CA, a wrong server name, no or an untrusted client certificate: nothing sent, a clear error, the spool kept",
          arguments: [
              Refusal(name: "wrong CA", ca: false, client: "client", serverName: "localhost",
                      message: "TLS: the server's certificate does not chain to a trusted CA (tls.ca"),
              Refusal(name: "no server-name (the certificate has no IP address)", ca: true, client: "client", serverName: nil,
                      message: "TLS: the server's certificate does not carry the name checked (tls.server-name"),
              Refusal(name: "a server name the certificate lacks", ca: true, client: "client", serverName: "elsewhere.example",
                      message: "TLS: the server's certificate does not carry the name checked (tls.server-name"),
              Refusal(name: "no client certificate", ca: true, client: nil, serverName: "localhost",
                      message: "TLS: the server refused the TLS handshake: it wants a client certificate it trusts"),
              Refusal(name: "a client certificate of another CA", ca: true, client: "stranger", serverName: "localhost",
                      message: "TLS: the server refused the TLS handshake: it wants a client certificate it trusts"),
          ])
    func refusals(_ refusal: Refusal) throws {
        let certificates = try Certificates.shared.get()
        let setup = try HTTPSinkTests.setup("tls-refused", count: 50)
        defer { HTTPSinkTests.cleanup(setup) }
        let receiver = try Self.receiver(certificates)
        var sink = HTTPSinkTests.hecSink(receiver.url, tokenFile: setup.tokenFile)
        sink.tls = certificates.files(ca: refusal.ca ? nil : certificates.otherCA, client: refusal.client, serverName: refusal.serverName)
        sink.retryFor = .milliseconds(300)
        let result = HTTPSinkTests.run(sink, store: setup.store)
        let failure = try #require(result.failure)
        #expect(failure.contains("receiver unreachable for 300ms: "), "\(failure)")
        #expect(failure.contains(refusal.message), "\(failure)")
        #expect(!failure.contains(HTTPSinkTests.token))
        #expect(result.metrics.sent == 0 && result.spooled > 0)
        #expect(receiver.requests.isEmpty)
    }
}
