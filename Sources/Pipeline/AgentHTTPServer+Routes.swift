import Audit
import FlowCore
import HTTPTypes
import Hummingbird
import NIOCore
import NIOSSL
import Prometheus

/// Hummingbird's basic context plus the connection, whose TLS handler knows the client's
/// verified certificate.
struct AgentRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}

extension AgentHTTPServer {
    /// What each path answers.
    struct Routes: Sendable {
        let registry: PrometheusCollectorRegistry
        let webhook: AuditIngestor?
        let bearerToken: String?
        /// With `client-certificates: webhook`: the handshake asked for a certificate and
        /// verified any given, and the webhook refuses connections that gave none.
        let webhookNeedsClientCertificate: Bool
        let limits: Limits

        func register(on router: Router<AgentRequestContext>) {
            router.get("/metrics") { _, _ in metrics(head: false) }
            router.head("/metrics") { _, _ in metrics(head: true) }
            router.get("/healthz") { _, _ in Self.text(.ok, "ok\n") }
            for method in [HTTPRequest.Method.post, .put, .delete, .patch] {
                router.on("/metrics", method: method) { _, _ in
                    var response = Self.text(.methodNotAllowed, "only GET and HEAD\n")
                    response.headers[.allow] = "GET, HEAD"
                    return response
                }
            }
            if let webhook {
                router.post("/audit/webhook") { request, context in
                    if webhookNeedsClientCertificate, try await context.channel.nioSSL_peerCertificate().get() == nil {
                        return Self.text(.unauthorized, "a client certificate is required\n")
                    }
                    return try await receive(request, into: webhook)
                }
            }
        }

        func metrics(head: Bool) -> Response {
            let bytes = registry.emitToBuffer()
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.contentLength] = String(bytes.count)
            return Response(status: .ok, headers: headers, body: head ? .init() : .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }

        static func text(_ status: HTTPResponse.Status, _ text: String) -> Response {
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; charset=utf-8"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }

        /// An `EventList` from kube-apiserver's webhook backend: acknowledged (200) only once its
        /// versions are on disk; 400 with the reason for a body that is not one, 413 for one
        /// too large, 401 without the bearer token, 500 when the store fails (the API server
        /// retries, and audit IDs already stored are not stored twice).
        func receive(_ request: Request, into ingestor: AuditIngestor) async throws -> Response {
            if let bearerToken {
                let given = request.headers[.authorization] ?? ""
                guard Self.constantTimeEqual(given, "Bearer " + bearerToken) else {
                    return Self.text(.unauthorized, "a bearer token is required\n")
                }
            }
            if let length = request.headers[.contentLength].flatMap(Int.init), length > limits.maximumWebhookBodyBytes {
                return Self.text(.contentTooLarge, "body of \(length) bytes exceeds the limit of \(limits.maximumWebhookBodyBytes) bytes\n")
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: limits.maximumWebhookBodyBytes)
            } catch is NIOTooManyBytesError {
                return Self.text(.contentTooLarge, "body exceeds the limit of \(limits.maximumWebhookBodyBytes) bytes\n")
            }
            do {
                let stored = try await ingestor.ingest(eventListBody: body, maximumBytes: limits.maximumWebhookBodyBytes)
                var headers = HTTPFields()
                headers[.contentType] = "application/json"
                let text = #"{"events":\#(stored.events),"versions":\#(stored.outcome.versions)}"# + "\n"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
            } catch let rejected as AuditIngestor.RejectedBody {
                return Self.text(.badRequest, rejected.reason + "\n")
            } catch {
                return Self.text(.internalServerError, "could not store the events: \(error)\n")
            }
        }

        static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
            let x = Array(a.utf8), y = Array(b.utf8)
            var difference = UInt8(x.count == y.count ? 0 : 1)
            for index in 0..<max(x.count, y.count) {
                difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
            }
            return difference == 0
        }
    }
}
