import FlowCore

/// How a batch fared at the receiver.
struct SendOutcome {
    /// Entries to send again (an Elasticsearch item answered 429 or 5xx).
    var retry: [Int] = []
    /// Entries refused for good, with the receiver's reason (counted as failed, never resent).
    var rejected: [(index: Int, reason: String)] = []

    static let accepted = SendOutcome()
}

/// A failure worth retrying: the receiver is down, slow, busy or refusing for now.
struct SinkUnavailable: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One receiver's wire protocol. Called from the sink's own thread.
///
/// A batch goes in two steps so that the worker can render the next batch while this one is
/// on the wire: `start` hands it to the network (and may return before the receiver has it),
/// `complete` waits for the answer. Between the two the worker leaves the batch untouched and
/// starts no other.
protocol SinkTransport: AnyObject {
    /// Starts sending the entries of `batch` (all, or `only` those indices) in order. Throws
    /// `SinkUnavailable` when it cannot even start (no connection).
    func start(_ batch: SinkSpool.Batch, only: [Int]?) throws
    /// Waits for what `start` began. Throws `SinkUnavailable` when none of it may be taken as
    /// delivered.
    func complete(_ batch: SinkSpool.Batch) throws -> SendOutcome
    /// For connection-oriented transports: everything sent so far has reached the receiver's
    /// application, as far as the protocol can tell (a graceful close for syslog over TCP).
    func finish()
    func close()
}

extension SinkTransport {
    /// Both steps: sends and waits.
    func send(_ batch: SinkSpool.Batch, only: [Int]?) throws -> SendOutcome {
        try start(batch, only: only)
        return try complete(batch)
    }
}

/// For a transport that sends synchronously in `start`: the outcome, kept for `complete`.
struct SynchronousSend {
    private var outcome: SendOutcome?

    mutating func run(_ send: () throws -> SendOutcome) throws {
        outcome = nil
        outcome = try send()
    }

    mutating func take() throws -> SendOutcome {
        defer { outcome = nil }
        guard let outcome else { throw SinkUnavailable("no batch was started") }
        return outcome
    }
}
