#if canImport(Glibc)
import Glibc
#endif

/// What a crash shows the user: one line, never the Swift runtime's backtrace.
///
/// Swift's runtime installs a backtracer (unless `SWIFT_BACKTRACE` says otherwise, read once at
/// process start) that prints dozens of lines of frames and memory on stderr. No input should
/// reach a trap — inputs are validated — but if a bug lets one through, the user sees one
/// `vauth: error:` line and exit status 1, not a dump. The handlers replace the runtime's; they
/// run on their own stack so a stack overflow is reported too. SIGPIPE is ignored so a closed
/// stdout is an EPIPE that the command reports, not a silent death.
package enum CrashReporting {
    nonisolated(unsafe) private static var alternateStack: UnsafeMutableRawPointer?

    package static func install() {
        signal(SIGPIPE, SIG_IGN)
        let size = 64 * 1024
        if alternateStack == nil, let memory = malloc(size) {
            alternateStack = memory
            var stack = stack_t(ss_sp: memory, ss_flags: 0, ss_size: size)
            sigaltstack(&stack, nil)
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { signal in
            // Only async-signal-safe calls: write(2) and _exit(2).
            let message: StaticString = "vauth: error: internal error: vauth crashed (this is a bug; please report it with the command that caused it)\n"
            _ = write(2, message.utf8Start, message.utf8CodeUnitCount)
            _exit(1)
        }
        action.sa_flags = Int32(SA_ONSTACK)
        sigemptyset(&action.sa_mask)
        for signal in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGFPE, SIGABRT] {
            sigaction(signal, &action, nil)
        }
    }
}
