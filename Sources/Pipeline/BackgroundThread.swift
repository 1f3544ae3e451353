#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A dedicated OS thread for a long-running loop (the metrics responder, the manifest watcher):
/// such loops block in `poll`/`nanosleep`, which would starve Swift's cooperative pool, and
/// `join()` gives a shutdown that waits for the loop to finish its current step.
///
/// `@unchecked Sendable`: `thread` and `joined` are touched only by the owner (`init`, `join`),
/// never by the thread it starts.
final class BackgroundThread: @unchecked Sendable {
    private final class Body {
        let name: String?
        let run: () -> Void
        init(name: String?, _ run: @escaping () -> Void) {
            self.name = name
            self.run = run
        }
    }

    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif
    private var joined = false

    /// Starts `body` on a new thread. Throws when the system refuses a thread. `name` (at most
    /// 15 bytes on Linux) is what `top -H`, `perf` and /proc show for the thread, so a profile
    /// can tell the pipeline's stages apart.
    init(name: String? = nil, _ body: @escaping () -> Void) throws {
        precondition(name.map { $0.utf8.count <= 15 } ?? true, "a thread name takes at most 15 bytes")
        let context = Unmanaged.passRetained(Body(name: name, body)).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            if let name = body.name { BackgroundThread.nameCurrentThread(name) }
            body.run()
            return nil
        }, context)
        if status != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemCallError(call: "pthread_create", code: status)
        }
    }

    /// Names the calling thread. Glibc's `pthread_setname_np` is a GNU extension Swift's Glibc
    /// module does not import; writing the thread's `comm` file is what it does on Linux.
    private static func nameCurrentThread(_ name: String) {
        #if canImport(Darwin)
        pthread_setname_np(name)
        #else
        let file = open("/proc/thread-self/comm", O_WRONLY)
        guard file >= 0 else { return }
        _ = name.utf8CString.withUnsafeBufferPointer { write(file, $0.baseAddress, $0.count - 1) }
        close(file)
        #endif
    }

    /// Waits for the body to return. Call once, from one thread, never from the thread itself.
    func join() {
        guard !joined else { return }
        joined = true
        #if canImport(Darwin)
        pthread_join(thread!, nil)
        #else
        pthread_join(thread, nil)
        #endif
    }
}

/// A failed system call, turned into a `FlowlogError` by its caller with the context it knows.
struct SystemCallError: Error {
    var call: String
    var code: Int32

    var message: String { String(cString: strerror(code)) }
}
