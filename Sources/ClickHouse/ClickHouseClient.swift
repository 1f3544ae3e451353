import AsyncHTTPClient
import FlowCore
import NIOCore
import NIOHTTP1

/// ClickHouse's HTTP interface, used synchronously: a statement is one POST, its text in the
/// body (or, for an INSERT, in the `query` parameter with the rows as the body); the answer is
/// the body of a 200, anything else an exception. Safe to share between threads.
public final class ClickHouseClient: Sendable {
    public let endpoint: ClickHouseEndpoint
    private let http: HTTPClient
    private let requestTimeout: TimeAmount

    public init(endpoint: ClickHouseEndpoint, connectTimeout: Duration = .seconds(5), requestTimeout: Duration = .seconds(300)) {
        self.endpoint = endpoint
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .nanoseconds(Self.nanoseconds(connectTimeout)), read: .nanoseconds(Self.nanoseconds(requestTimeout)))
        configuration.decompression = .disabled
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
        self.requestTimeout = .nanoseconds(Self.nanoseconds(requestTimeout))
    }

    deinit { try? http.syncShutdown() }

    private static func nanoseconds(_ d: Duration) -> Int64 {
        let (s, atto) = d.components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }

    /// Runs one statement (`sql` in the body); returns the answer's bytes.
    @discardableResult
    public func execute(_ sql: String, settings: [(String, String)] = []) throws -> [UInt8] {
        try post(parameters: settings, body: Array(sql.utf8))
    }

    /// `insert` (an `INSERT … FORMAT …` statement) with `rows` as its data.
    public func insert(_ insert: String, rows: [UInt8], settings: [(String, String)] = []) throws {
        try startInsert(insert, rows: ByteBuffer(bytes: rows), settings: settings).wait()
    }

    /// Sends `insert` with `rows` as its data and returns at once: the caller prepares the
    /// next rows while the server ingests these, then waits for the answer.
    func startInsert(_ insert: String, rows: ByteBuffer, settings: [(String, String)] = []) throws -> InsertInFlight {
        let request = try makeRequest(parameters: [("query", insert)] + settings, body: rows)
        return InsertInFlight(client: self, answer: http.execute(request: request, deadline: .now() + requestTimeout))
    }

    /// An INSERT sent and not yet answered.
    struct InsertInFlight {
        fileprivate let client: ClickHouseClient
        fileprivate let answer: EventLoopFuture<HTTPClient.Response>

        /// Waits for the server's answer; an error unless it took the rows.
        func wait() throws { _ = try client.body(of: answer) }
    }

    /// The server's `version()`.
    public func version() throws -> String {
        var text = String(decoding: try execute("SELECT version()"), as: UTF8.self)
        while text.last == "\n" { text.removeLast() }
        return text
    }

    private func post(parameters: [(String, String)], body: [UInt8]) throws -> [UInt8] {
        let request = try makeRequest(parameters: parameters, body: ByteBuffer(bytes: body))
        return try self.body(of: http.execute(request: request, deadline: .now() + requestTimeout))
    }

    private func makeRequest(parameters: [(String, String)], body: ByteBuffer) throws -> HTTPClient.Request {
        var url = endpoint.baseURL + "/"
        for (i, (name, value)) in parameters.enumerated() {
            url += (i == 0 ? "?" : "&") + PercentEncoding.encode(name) + "=" + PercentEncoding.encode(value)
        }
        do {
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            if let authorization = endpoint.authorization { headers.add(name: "Authorization", value: authorization) }
            return try HTTPClient.Request(url: url, method: .POST, headers: headers, body: .byteBuffer(body))
        } catch {
            throw FlowlogError(.invalidArgument, "bad ClickHouse request URL: \(error)", location: .init(field: "--url"))
        }
    }

    private func body(of answer: EventLoopFuture<HTTPClient.Response>) throws -> [UInt8] {
        let response: HTTPClient.Response
        do {
            response = try answer.wait()
        } catch {
            throw ClickHouseError(unreachable: "\(endpoint.hostAndPort): \(error)")
        }
        var answer: [UInt8] = []
        if var buffer = response.body { answer = buffer.readBytes(length: buffer.readableBytes) ?? [] }
        guard response.status == .ok else { throw ClickHouseError(status: Int(response.status.code), body: answer) }
        return answer
    }
}
