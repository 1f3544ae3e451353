import FlowCore
import NIOSSL

extension AgentHTTPServer {
    /// HTTPS for the agent's server, loaded from `metrics.tls`: the server's certificate chain
    /// and key, and, with `client-ca`, the CAs whose client certificates it accepts. Loading
    /// builds a TLS context once, so a key that does not match its certificate, or a file that
    /// is not PEM, stops the agent at start with the field named, not at the first handshake.
    public struct TLS: Sendable {
        let configuration: TLSConfiguration
        /// Which requests need a verified client certificate; nil when none is asked for.
        let clientCertificates: AgentConfiguration.ClientCertificates?

        public init(files: AgentConfiguration.TLSFiles) throws {
            guard let certificatePath = files.certificate else {
                throw FlowlogError(.invalidArgument, "HTTPS needs the server's certificate (PEM)", location: .init(field: "metrics.tls.certificate"))
            }
            guard let keyPath = files.key else {
                throw FlowlogError(.invalidArgument, "HTTPS needs the server's private key (PEM)", location: .init(field: "metrics.tls.key"))
            }
            let chain = try Self.certificates(certificatePath, field: "metrics.tls.certificate")
            let key: NIOSSLPrivateKey
            do {
                key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            } catch {
                throw FlowlogError(.invalidArgument, "not a PEM private key: \(error)", location: .init(file: keyPath, field: "metrics.tls.key"))
            }
            var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            configuration.minimumTLSVersion = .tlsv12
            if let caPath = files.clientCA {
                configuration.trustRoots = .certificates(try Self.certificates(caPath, field: "metrics.tls.client-ca"))
                // A server never checks a client's host name; `optionalVerification` still
                // rejects a certificate that is given but not signed by these CAs.
                configuration.certificateVerification = files.clientCertificates == .required ? .noHostnameVerification : .optionalVerification
                configuration.sendCANameList = true
                clientCertificates = files.clientCertificates
            } else {
                clientCertificates = nil
            }
            do {
                _ = try NIOSSLContext(configuration: configuration)
            } catch {
                throw FlowlogError(.invalidArgument, "the certificate and key do not make a TLS server: \(error)",
                                   location: .init(file: keyPath, field: "metrics.tls.key"))
            }
            self.configuration = configuration
        }

        static func certificates(_ path: String, field: String) throws -> [NIOSSLCertificate] {
            let certificates: [NIOSSLCertificate]
            do {
                certificates = try NIOSSLCertificate.fromPEMFile(path)
            } catch {
                throw FlowlogError(.invalidArgument, "cannot read PEM certificates: \(error)", location: .init(file: path, field: field))
            }
            guard !certificates.isEmpty else {
                throw FlowlogError(.invalidArgument, "no PEM certificate in the file", location: .init(file: path, field: field))
            }
            return certificates
        }

        /// True when the webhook is protected by client certificates: every connection needs
        /// one, or the webhook route checks for one.
        var authenticatesWebhookClients: Bool { clientCertificates != nil }
    }
}
