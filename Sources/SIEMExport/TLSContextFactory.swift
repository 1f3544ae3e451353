import FlowCore
import NIOSSL
import SIEMConfig

/// Client TLS contexts from a sink's `tls` section: the CA file (else the system's roots), an
/// optional client certificate and key, TLS 1.2 or later. Key files are read, never logged.
enum TLSContextFactory {
    static func configuration(_ files: SIEMConfiguration.TLSFiles, sink: String) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        do {
            if let ca = files.ca { configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca)) }
            if let cert = files.certificate, let key = files.key {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }
                configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
            }
        } catch {
            let file = [files.ca, files.certificate, files.key].compactMap { $0 }.joined(separator: ", ")
            throw FlowlogError(.invalidArgument, "sink \(sink): cannot load the TLS files (\(file)): \(error)", location: .init(field: "tls"))
        }
        if !files.verify { configuration.certificateVerification = .none }
        return configuration
    }

    /// A failed connection's error in the terms of the sink's `tls` section: BoringSSL's codes
    /// (kept, in brackets) do not say which setting to look at.
    static func explain(_ error: Error) -> String {
        let text = String(describing: error)
        let hint: String?
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            hint = "the server's certificate does not chain to a trusted CA (tls.ca; the system's roots when it is not set)"
        } else if (error as? NIOSSLExtraError) == .failedToValidateHostname || text.contains("failedToValidateHostname") {
            hint = "the server's certificate does not carry the name checked (tls.server-name; the url's or address's host when it is not set)"
        } else if text.contains("CERTIFICATE_REQUIRED") || text.contains("ALERT_HANDSHAKE_FAILURE") || text.contains("ALERT_BAD_CERTIFICATE")
                    || text.contains("ALERT_UNKNOWN_CA") {
            hint = "the server refused the TLS handshake: it wants a client certificate it trusts (tls.cert and tls.key)"
        } else if text.contains("WRONG_VERSION_NUMBER") {
            hint = "the server does not speak TLS on this port"
        } else {
            hint = nil
        }
        return hint.map { "TLS: \($0) [\(text)]" } ?? text
    }

    static func client(_ files: SIEMConfiguration.TLSFiles, sink: String) throws -> NIOSSLContext {
        do {
            return try NIOSSLContext(configuration: try configuration(files, sink: sink))
        } catch let error as FlowlogError {
            throw error
        } catch {
            throw FlowlogError(.invalidArgument, "sink \(sink): TLS setup failed: \(error)", location: .init(field: "tls"))
        }
    }
}
