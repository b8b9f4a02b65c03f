import CProcessControl
#if canImport(Glibc)
import Glibc
#endif

/// Keeps a process that holds secrets (passphrases, data keys, private keys) out of core dumps
/// and out of reach of same-user debuggers.
///
/// A crash dump would otherwise write the heap — with every ``SecretBytes`` alive at that moment —
/// to disk, where systemd-coredump or `core` files keep it long after the process is gone.
/// `RLIMIT_CORE = 0` stops the kernel writing a core file; `PR_SET_DUMPABLE = 0` also stops
/// core-dump pipes (systemd-coredump ignores the rlimit), `ptrace` attach and `/proc/<pid>/mem`
/// reads by other processes of the same user that lack `CAP_SYS_PTRACE` (prctl(2)).
public enum CoreDumpProtection {
    /// What the process reports after ``enable()``.
    public struct Status: Equatable, Sendable {
        /// `prctl(PR_GET_DUMPABLE)`: 0 when protected.
        public let dumpable: Int32
        /// The soft and hard `RLIMIT_CORE`: 0 when protected.
        public let coreLimit: (soft: UInt64, hard: UInt64)

        public var isProtected: Bool { dumpable == 0 && coreLimit.soft == 0 && coreLimit.hard == 0 }

        public static func == (a: Status, b: Status) -> Bool {
            a.dumpable == b.dumpable && a.coreLimit.soft == b.coreLimit.soft && a.coreLimit.hard == b.coreLimit.hard
        }
    }

    /// Turns both protections on for the rest of the process's life (they are inherited by
    /// children, which is what we want for anything vauth starts). Returns the resulting status;
    /// a failure to set either is reported there rather than thrown, because refusing to run would
    /// not make the machine safer.
    @discardableResult
    public static func enable() -> Status {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        _ = setrlimit(RLIMIT_CORE_RESOURCE, &limit)
        _ = vauth_set_dumpable(0)
        return current()
    }

    /// The process's dumpable flag and core limit as the kernel reports them.
    public static func current() -> Status {
        var limit = rlimit()
        let ok = getrlimit(RLIMIT_CORE_RESOURCE, &limit) == 0
        return Status(dumpable: vauth_get_dumpable(),
                      coreLimit: ok ? (UInt64(limit.rlim_cur), UInt64(limit.rlim_max)) : (.max, .max))
    }

    private static var RLIMIT_CORE_RESOURCE: __rlimit_resource_t {
        __rlimit_resource_t(RLIMIT_CORE.rawValue)
    }
}
