import Foundation

#if canImport(Glibc)
import Glibc
#endif

extension Process {
    /// Starts the process with no signals blocked.
    ///
    /// Swift's concurrency threads run with nearly every signal blocked, and a child started with
    /// `posix_spawn` inherits the spawning thread's mask: a child that relies on SIGALRM (`openssl
    /// speed`) never stops, and one asked to stop with SIGTERM (a Python server) never hears it.
    /// The mask is cleared for the duration of the spawn only.
    public func runWithDefaultSignalMask() throws {
        var empty = sigset_t(), previous = sigset_t()
        sigemptyset(&empty)
        pthread_sigmask(SIG_SETMASK, &empty, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try run()
    }
}
