#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A real OS thread that the test joins with `pthread_join`: the join is what makes the thread's
/// writes visible to the test (and what ThreadSanitizer understands as synchronisation), and a
/// dedicated thread cannot be starved by a busy shared pool the way a queue's work item can.
final class JoinableThread {
    private final class Body {
        let run: () -> Void
        init(_ run: @escaping () -> Void) { self.run = run }
    }

    #if canImport(Darwin)
    private var thread: pthread_t?
    #else
    private var thread = pthread_t()
    #endif

    init(_ body: @escaping () -> Void) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        let status = pthread_create(&thread, nil, { raw in
            let body = Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        precondition(status == 0, "pthread_create failed: \(status)")
    }

    func join() {
        #if canImport(Darwin)
        pthread_join(thread!, nil)
        #else
        pthread_join(thread, nil)
        #endif
    }
}

/// Runs `producer` and `consumer` on two threads at once and waits for both.
func runConcurrently(producer: @escaping () -> Void, consumer: @escaping () -> Void) {
    let consuming = JoinableThread(consumer)
    let producing = JoinableThread(producer)
    producing.join()
    consuming.join()
}
