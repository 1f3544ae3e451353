import NIOCore

/// Runs Swift tasks on one NIO event loop, the same thread that does that loop's socket I/O.
///
/// The agent's HTTP server owns an event-loop group of its own and runs its tasks (accept loop,
/// connection handlers, route handlers) here, so no pool shared with the rest of the process
/// stands between a request and its answer: neither Swift's cooperative pool (which blocking
/// work elsewhere can occupy for minutes), nor Dispatch's worker pool, nor NIO's process-wide
/// event loops (which the ClickHouse client shares). Work that may block belongs elsewhere.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
