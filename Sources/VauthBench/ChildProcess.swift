#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One run of a command, as a user runs it: started with `posix_spawn`, reaped with `wait4`,
/// which reports the child's own peak resident set size (rusage `ru_maxrss`, KiB on Linux).
struct ChildRun {
    var wallSeconds: Double
    var peakRSSMegabytes: Double

    static func run(_ executable: String, _ arguments: [String], environment: [String: String],
                    stdin: String? = nil) throws -> ChildRun {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin ?? "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        // Swift's threads block most signals, and a spawned child would inherit that mask.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let start = Measure.now()
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw BenchmarkError("posix_spawn \(executable): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            guard errno == EINTR else { throw BenchmarkError("wait4: \(String(cString: strerror(errno)))") }
        }
        let wall = Measure.now() - start
        // WIFEXITED && WEXITSTATUS == 0, spelled out (the macros are not imported).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw BenchmarkError("\(executable) \(arguments.first ?? "") exited with status \(status)")
        }
        return ChildRun(wallSeconds: wall, peakRSSMegabytes: Double(usage.ru_maxrss) / 1024)
    }

    /// The command's own peak resident set size in MB, through GNU time.
    ///
    /// Not from this process's `wait4`: a child made by `posix_spawn` (vfork) starts in this
    /// process's memory, and Linux carries the larger of that and the child's own peak into the
    /// child's `ru_maxrss` at exec — so it would report this benchmark's size. GNU time forks from
    /// its own small process instead. Nil without /usr/bin/time.
    static func peakRSS(_ executable: String, _ arguments: [String], environment: [String: String],
                        scratch: ScratchDirectory) throws -> Double? {
        guard access("/usr/bin/time", X_OK) == 0 else { return nil }
        let report = scratch.file("rss")
        _ = try run("/usr/bin/time", ["-f", "%M", "-o", report, executable] + arguments, environment: environment)
        guard let text = BenchmarkReport.readText(report), let kilobytes = Double(text.split(separator: "\n").last ?? "") else { return nil }
        return kilobytes / 1024
    }
}
