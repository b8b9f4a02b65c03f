#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How busy the machine was while a group of measurements ran, printed with every table: the
/// load average at its start and end, and how many cores **other** processes kept busy meanwhile
/// (all CPU time in /proc/stat minus this process's and its children's own). A ratio from one
/// run holds whatever the load; an absolute rate means something only next to these numbers.
struct MachineLoad: Sendable {
    var loadAverageStart: Double
    var loadAverageEnd: Double
    /// Cores' worth of CPU time used by other processes during the group (0 to the core count).
    var otherCores: Double?
    var seconds: Double

    /// Starts watching; ``finish()`` gives the load of the time since.
    struct Probe {
        let loadAverage: Double
        let busy: Double?
        let own: Double
        let started: Double
        /// Helper processes of the benchmark (a soft-webauthn worker, `vauth serve`), whose CPU
        /// time is the benchmark's own, not load.
        let helpers: [pid_t]

        init(helpers: [pid_t] = []) {
            self.helpers = helpers
            loadAverage = MachineLoad.loadAverage()
            busy = MachineLoad.busyCPUSeconds()
            own = MachineLoad.ownCPUSeconds(helpers: helpers)
            started = Measure.now()
        }

        func finish() -> MachineLoad {
            let seconds = Measure.now() - started
            var others: Double?
            if let busy, let now = MachineLoad.busyCPUSeconds(), seconds > 0 {
                others = max(0, (now - busy) - (MachineLoad.ownCPUSeconds(helpers: helpers) - own)) / seconds
            }
            return MachineLoad(loadAverageStart: loadAverage, loadAverageEnd: MachineLoad.loadAverage(), otherCores: others, seconds: seconds)
        }
    }

    /// The one-minute load average.
    static func loadAverage() -> Double {
        var load = [Double](repeating: 0, count: 3)
        return getloadavg(&load, 3) == 3 ? load[0] : .nan
    }

    /// CPU seconds all cores spent busy (not idle, not waiting for I/O) since boot, from /proc/stat.
    static func busyCPUSeconds() -> Double? {
        guard let text = BenchmarkReport.readText("/proc/stat"),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let fields = line.split(separator: " ").dropFirst().compactMap { Double($0) }
        guard fields.count >= 8 else { return nil }
        // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
        let busy = fields[0] + fields[1] + fields[2] + fields[5] + fields[6] + fields[7]
        return busy / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// CPU seconds of this process, its reaped children and the running `helpers` (user and system).
    static func ownCPUSeconds(helpers: [pid_t] = []) -> Double {
        func seconds(_ who: Int32) -> Double {
            var usage = rusage()
            getrusage(who, &usage)
            return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        }
        return seconds(RUSAGE_SELF.rawValue) + seconds(RUSAGE_CHILDREN.rawValue) + helpers.map(processCPUSeconds).reduce(0, +)
    }

    /// utime + stime of a running process (/proc/PID/stat fields 14 and 15), 0 once it is gone.
    static func processCPUSeconds(_ pid: pid_t) -> Double {
        guard let text = BenchmarkReport.readText("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return 0 }
        // After "pid (comm)" come the fields from 3 (state) on; utime and stime are 14 and 15.
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    var description: String {
        var text = "load average \(String(format1: loadAverageStart)) → \(String(format1: loadAverageEnd))"
        if let otherCores { text += ", other processes busy on \(String(format1: otherCores)) of \(MachineLoad.cores) cores" }
        return text
    }

    static var cores: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
}
