import AsyncHTTPClient
import Audit
import FlowCore
import Foundation
import NIOCore
import NIOSSL
import Prometheus
import Testing
@testable import Pipeline

/// The agent's server over HTTPS on 127.0.0.1 with a test CA that `openssl` makes for the run:
/// client certificates from the configured CA are accepted, none or another CA's refused, and
/// `/metrics` scrapes as configured.
@Suite("Agent HTTPS and client certificates", .serialized, .enabled(if: TestPKI.opensslAvailable, "openssl is not installed (Debian: apt-get install openssl)"))
struct AgentHTTPSTests {
    static let pki = Result { try TestPKI() }

    static func server(clientCertificates: AgentConfiguration.ClientCertificates?, host: String = "127.0.0.1", token: String? = nil,
                       ingestor: AuditIngestor) async throws -> AgentHTTPServer {
        let pki = try pki.get()
        var files = AgentConfiguration.TLSFiles()
        files.certificate = pki.path("server.pem")
        files.key = pki.path("server.key")
        if let clientCertificates {
            files.clientCA = pki.path("ca.pem")
            files.clientCertificates = clientCertificates
        }
        let registry = PrometheusCollectorRegistry()
        _ = PipelineMetrics(factory: PipelineMetrics.prometheusFactory(registry: registry))
        return try await AgentHTTPServer.start(address: .init(host: host, port: 0), allowNonLoopback: host != "127.0.0.1", registry: registry,
                                               webhook: ingestor, bearerToken: token, tls: try AgentHTTPServer.TLS(files: files))
    }

    /// A client that trusts the test CA for the server and presents `identity`'s certificate
    /// (`client`, signed by the CA; `stranger`, signed by another CA; nil, none).
    static func client(_ identity: String?) throws -> HTTPClient {
        let pki = try pki.get()
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.path("ca.pem")))
        if let identity {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.path("\(identity).pem")).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki.path("\(identity).key"), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(10))
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Status and body, or the error the connection failed with.
    static func send(_ client: HTTPClient, _ port: UInt16, _ path: String, body: String? = nil) async -> Result<(Int, String), any Error> {
        do {
            var request = HTTPClientRequest(url: "https://127.0.0.1:\(port)\(path)")
            if let body {
                request.method = .POST
                request.body = .bytes(ByteBuffer(string: body))
            }
            let response = try await client.execute(request, timeout: .seconds(10))
            let text = try await response.body.collect(upTo: 1 << 20)
            return .success((Int(response.status.code), String(buffer: text)))
        } catch {
            return .failure(error)
        }
    }

    static func eventList(_ lines: Range<Int>) throws -> String { try AuditWebhookTests.eventList(lines: lines) }

    @Test("client-certificates: required — the CA's client is served (metrics and webhook); no certificate or another CA's fails the handshake")
    func required() async throws {
        let directory = AuditWebhookTests.temporaryDirectory("https-required")
        let ingestor = try AuditIngestor(directory: directory, observer: nil)
        let server = try await Self.server(clientCertificates: .required, ingestor: ingestor)
        #expect(server.scheme == "https")
        let port = server.address.port
        let trusted = try Self.client("client"), anonymous = try Self.client(nil), stranger = try Self.client("stranger")

        let metrics = try await Self.send(trusted, port, "/metrics").get()
        #expect(metrics.0 == 200)
        #expect(metrics.1.contains("# TYPE flowlog_packets_total counter"))
        let stored = try await Self.send(trusted, port, "/audit/webhook", body: try Self.eventList(0..<14)).get()
        #expect(stored.0 == 200)
        #expect(stored.1.hasPrefix(#"{"events":14,"#))
        let versions = try AuditHistory.load(directory: directory).versions.count
        #expect(versions > 0)

        for (name, client) in [("no certificate", anonymous), ("another CA's certificate", stranger)] {
            for path in ["/metrics", "/healthz"] {
                if case .success(let answer) = await Self.send(client, port, path) { Issue.record("\(name): \(path) answered \(answer.0)") }
            }
            if case .success(let answer) = await Self.send(client, port, "/audit/webhook", body: try Self.eventList(14..<28)) {
                Issue.record("\(name): the webhook answered \(answer.0)")
            }
        }
        #expect(try AuditHistory.load(directory: directory).versions.count == versions)
        for client in [trusted, anonymous, stranger] { try await client.shutdown() }
        await server.stop()
        try ingestor.close()
    }

    @Test("client-certificates: webhook — /metrics and /healthz without a certificate; the webhook needs the CA's; another CA's fails the handshake")
    func webhookOnly() async throws {
        let directory = AuditWebhookTests.temporaryDirectory("https-webhook")
        let ingestor = try AuditIngestor(directory: directory, observer: nil)
        let server = try await Self.server(clientCertificates: .webhook, ingestor: ingestor)
        let port = server.address.port
        let trusted = try Self.client("client"), anonymous = try Self.client(nil), stranger = try Self.client("stranger")

        let scrape = try await Self.send(anonymous, port, "/metrics").get()
        #expect(scrape.0 == 200)
        #expect(scrape.1.contains("flowlog_packets_total"))
        #expect(try await Self.send(anonymous, port, "/healthz").get().1 == "ok\n")
        let refused = try await Self.send(anonymous, port, "/audit/webhook", body: try Self.eventList(0..<14)).get()
        #expect(refused.0 == 401)
        #expect(refused.1 == "a client certificate is required\n")
        #expect(try AuditHistory.load(directory: directory).versions.isEmpty)

        if case .success(let answer) = await Self.send(stranger, port, "/metrics") { Issue.record("another CA's certificate: /metrics answered \(answer.0)") }
        if case .success(let answer) = await Self.send(stranger, port, "/audit/webhook", body: try Self.eventList(0..<14)) {
            Issue.record("another CA's certificate: the webhook answered \(answer.0)")
        }
        #expect(try AuditHistory.load(directory: directory).versions.isEmpty)

        let stored = try await Self.send(trusted, port, "/audit/webhook", body: try Self.eventList(0..<14)).get()
        #expect(stored.0 == 200)
        #expect(try AuditHistory.load(directory: directory).versions.count > 0)
        #expect(try await Self.send(trusted, port, "/metrics").get().0 == 200)
        for client in [trusted, anonymous, stranger] { try await client.shutdown() }
        await server.stop()
        try ingestor.close()
    }

    @Test("off loopback, client certificates stand in for the bearer token; HTTPS alone does not")
    func offLoopback() async throws {
        let ingestor = try AuditIngestor(directory: AuditWebhookTests.temporaryDirectory("https-any"), observer: nil)
        let server = try await Self.server(clientCertificates: .webhook, host: "0.0.0.0", ingestor: ingestor)
        let trusted = try Self.client("client")
        #expect(try await Self.send(trusted, server.address.port, "/audit/webhook", body: try Self.eventList(0..<4)).get().0 == 200)
        try await trusted.shutdown()
        await server.stop()
        do {
            let unauthenticated = try await Self.server(clientCertificates: nil, host: "0.0.0.0", ingestor: ingestor)
            await unauthenticated.stop()
            Issue.record("served the webhook off loopback over HTTPS without client certificates or a token")
        } catch let error as FlowlogError {
            #expect(error.location?.field == "audit.bearer-token-file")
            #expect(error.message.contains("metrics.tls.client-ca"))
        }
        try ingestor.close()
    }

    @Test("a key that is not the certificate's, and files that are not PEM, are named with their field")
    func badFiles() throws {
        let pki = try Self.pki.get()
        var mismatched = AgentConfiguration.TLSFiles()
        mismatched.certificate = pki.path("server.pem")
        mismatched.key = pki.path("client.key")
        #expect(throws: FlowlogError.self) { try AgentHTTPServer.TLS(files: mismatched) }
        do {
            _ = try AgentHTTPServer.TLS(files: mismatched)
        } catch let error as FlowlogError {
            #expect(error.location?.field == "metrics.tls.key")
        }
        var notPEM = AgentConfiguration.TLSFiles()
        notPEM.certificate = pki.path("server.pem")
        notPEM.key = pki.path("server.key")
        notPEM.clientCA = pki.path("openssl.log")
        do {
            _ = try AgentHTTPServer.TLS(files: notPEM)
            Issue.record("a client CA file without a certificate was accepted")
        } catch let error as FlowlogError {
            #expect(error.location?.field == "metrics.tls.client-ca")
            #expect(error.location?.file == pki.path("openssl.log"))
        }
    }
}

/// A test CA with a server certificate for 127.0.0.1 and a client certificate, and a second CA
/// with a client certificate of its own ("stranger"), made by `openssl` in a temporary directory.
struct TestPKI: Sendable {
    let directory: String

    static let opensslAvailable = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"].contains {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    init() throws {
        directory = NSTemporaryDirectory() + "flowlog-pki-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // P-256 keys: quick to make; every name is in the subject and the SAN.
        let script = """
            set -e
            key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }
            ca() {
                key "$1.key"
                openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 2 -subj "/CN=$2" \\
                    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
            }
            leaf() {  # NAME CA USAGE SAN
                key "$1.key"
                openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1"
                printf 'basicConstraints=CA:FALSE\\nkeyUsage=digitalSignature\\nextendedKeyUsage=%s\\nsubjectAltName=%s\\n' "$3" "$4" >"$1.ext"
                openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 -extfile "$1.ext"
            }
            ca ca "flowlog test CA"
            ca other-ca "another test CA"
            leaf server ca serverAuth IP:127.0.0.1
            leaf client ca clientAuth DNS:kube-apiserver
            leaf stranger other-ca clientAuth DNS:kube-apiserver
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        FileManager.default.createFile(atPath: path("openssl.log"), contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: path("openssl.log")))
        process.standardOutput = log
        process.standardError = log
        try process.run()
        process.waitUntilExit()
        try log.close()
        guard process.terminationStatus == 0 else {
            throw FlowlogError(.io, "openssl failed: " + ((try? String(contentsOfFile: directory + "/openssl.log", encoding: .utf8)) ?? ""))
        }
    }

    func path(_ name: String) -> String { directory + "/" + name }
}
