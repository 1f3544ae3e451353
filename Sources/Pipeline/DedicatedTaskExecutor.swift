import Dispatch

/// Runs the HTTP server's tasks on a thread of its own instead of Swift's shared cooperative
/// pool, so a scrape or a webhook request is answered even while every pool thread is busy or
/// blocked elsewhere in the process.
final class DedicatedTaskExecutor: TaskExecutor {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }
}
