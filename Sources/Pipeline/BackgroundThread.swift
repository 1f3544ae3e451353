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
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif
    private var joined = false

    /// Starts `body` on a new thread. Throws when the system refuses a thread.
    init(_ body: @escaping () -> Void) throws {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
            return nil
        }, context)
        if status != 0 {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemCallError(call: "pthread_create", code: status)
        }
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
