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
