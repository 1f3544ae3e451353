import AsyncHTTPClient
import FlowCore
import Foundation
import NIOCore
import NIOHTTP1
import SIEMConfig

/// The HTTP side shared by the Splunk and Elasticsearch transports: one client per sink, TLS
/// from the sink's `tls` section, a token read from its file once, requests waited for on
/// the sink's thread.
final class HTTPSink {
    let endpoint: HTTPEndpoint
    /// Scheme, host (the `tls.server-name` when given), port and prefix of request URLs.
    let base: String
    let client: HTTPClient
    let authorization: String?
    let timeout: TimeAmount = .seconds(60)

    init(sink: SIEMConfiguration.Sink, scheme: String) throws {
        endpoint = try HTTPEndpoint(url: sink.url ?? "")
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.decompression = .disabled
        var base = endpoint.base
        if endpoint.secure {
            let files = sink.tls ?? SIEMConfiguration.TLSFiles()
            configuration.tlsConfiguration = try TLSContextFactory.configuration(files, sink: sink.name)
            // The certificate is checked for (and SNI names) the URL's host; to check another
            // name, requests go to that name and the client connects to the URL's host instead.
            if let name = files.serverName, name.lowercased() != endpoint.host.lowercased() {
                configuration.dnsOverride = [name: endpoint.host]
                base = try HTTPEndpoint(url: "https://" + name + ":\(endpoint.port)" + endpoint.pathPrefix).base
            }
        }
        self.base = base
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        if let file = sink.tokenFile {
            authorization = scheme + " " + (try Self.readSecret(file, sink: sink.name))
        } else {
            authorization = nil
        }
    }

    deinit { try? client.syncShutdown() }

    /// The first line of a secret file; its contents never appear in messages.
    static func readSecret(_ path: String, sink: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FlowlogError(.fileNotFound, "sink \(sink): cannot read the token file", location: .init(file: path, field: "token-file"))
        }
        guard data.count <= 65536 else {
            throw FlowlogError(.invalidArgument, "sink \(sink): the token file is larger than 64 KiB", location: .init(file: path, field: "token-file"))
        }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).first.map(String.init) ?? ""
        let token = line.trimmingCharacters(in: .whitespaces)
        guard !token.isEmpty, token.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F }) else {
            throw FlowlogError(.invalidArgument, "sink \(sink): the token file's first line is empty or not printable ASCII",
                               location: .init(file: path, line: 1, field: "token-file"))
        }
        return token
    }

    /// POSTs `body` to `path` (after the url's prefix); returns the status and answer.
    func post(_ path: String, body: [UInt8], headers extra: [(String, String)]) throws -> (status: Int, body: [UInt8]) {
        try post(path, body: ByteBuffer(bytes: body), headers: extra)
    }

    func post(_ path: String, body: ByteBuffer, headers extra: [(String, String)]) throws -> (status: Int, body: [UInt8]) {
        var headers = HTTPHeaders()
        for (name, value) in extra { headers.add(name: name, value: value) }
        if let authorization { headers.add(name: "Authorization", value: authorization) }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(url: base + path, method: .POST, headers: headers, body: .byteBuffer(body))
        } catch {
            throw FlowlogError(.invalidArgument, "bad request URL \(base + path): \(error)")
        }
        let response: HTTPClient.Response
        do {
            response = try client.execute(request: request, deadline: .now() + timeout).wait()
        } catch {
            throw SinkUnavailable("\(endpoint.description): \(TLSContextFactory.explain(error))")
        }
        var answer: [UInt8] = []
        if var buffer = response.body { answer = buffer.readBytes(length: buffer.readableBytes) ?? [] }
        return (Int(response.status.code), answer)
    }

    static func json(_ bytes: [UInt8]) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
    }

    static func integer(_ value: Any?) -> Int64? {
        if let number = value as? NSNumber { return number.int64Value }
        return nil
    }

    static func isTrue(_ value: Any?) -> Bool {
        if let flag = value as? Bool { return flag }
        if let number = value as? NSNumber { return number.boolValue }
        return false
    }

    static func excerpt(_ bytes: [UInt8]) -> String {
        String(decoding: bytes.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
    }
}
