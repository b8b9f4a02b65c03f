import COpenSSL
import VauthWebAuthn

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The numbers of one run, the goals they are held to, and the machine and its load.
///
/// Every number is a median of slices with its spread (lowest and highest slice) and the number
/// of slices; units are in the names (`…Ms` milliseconds, `…MB` MiB, `a/b` ratios, others
/// operations per second). BENCHMARKS.md explains each group.
public struct BenchmarkReport {
    public struct Goal: Sendable {
        public var name: String
        public var value: Double
        public var goal: String
        public var met: Bool
    }

    public let settings: Benchmarks.Settings
    private(set) var groups: [MeasurementGroup] = []
    public private(set) var goals: [Goal] = []
    /// Groups not measured and why (no soft-webauthn, no tmpfs, `--only`).
    public private(set) var skipped: [String] = []

    init(settings: Benchmarks.Settings) {
        self.settings = settings
    }

    mutating func add(_ group: MeasurementGroup) { groups.append(group) }
    mutating func skip(_ reason: String) { skipped.append(reason) }

    /// The median of `group`'s entry `name`.
    public func value(_ group: String, _ name: String) -> Double? {
        groups.first { $0.name == group }?.statistic(name)?.median
    }

    /// The goals of issues 10 and 28, as medians of ratios within this run (and absolute bounds
    /// where the goal is absolute).
    mutating func evaluateGoals() {
        func atLeast(_ name: String, _ value: Double?, _ bound: Double, _ text: String) {
            if let value { goals.append(Goal(name: name, value: value, goal: "≥ \(text)", met: value >= bound)) }
        }
        func atMost(_ name: String, _ value: Double?, _ bound: Double, _ text: String) {
            if let value { goals.append(Goal(name: name, value: value, goal: "≤ \(text)", met: value <= bound)) }
        }
        atLeast("JSON client get / soft-webauthn get", value("es256.get", "jsonWarm/softWebauthn"), 2, "2×")
        atLeast("JSON client create / soft-webauthn create", value("es256.create", "jsonWarm/softWebauthn"), 2, "2×")
        atLeast("ES256 get over CBOR bytes / OpenSSL sign", value("es256.get", "cborWarm/opensslSign"), 0.6, "0.6×")
        atLeast("ES256 JSON client get / OpenSSL sign", value("es256.get", "jsonWarm/opensslSign"), 0.6, "0.6×")
        atLeast("ES256 typed get, warm / OpenSSL sign", value("es256.get", "typedWarm/opensslSign"), 0.75, "0.75×")
        atLeast("ES256 typed get, cold / OpenSSL sign", value("es256.get", "typedCold/opensslSign"), 0.4, "0.4×")
        atLeast("EdDSA typed get, warm / OpenSSL sign", value("eddsa.get", "typedWarm/opensslSign"), 0.7, "0.7×")
        atLeast("RS256 typed get, warm / OpenSSL sign", value("rs256.get", "typedWarm/opensslSign"), 0.9, "0.9×")
        atMost("`vauth get` / the --baseline build's", value("cli", "getWarmMs/baselineGetWarmMs"), 0.65, "0.65×")
        atMost("keystore create, large / small", value("keystore", "createLargeMs/createSmallMs"), 1.2, "1.2×")
        atMost("keystore discoverable get, large / small", value("keystore", "getDiscoverableLargeMs/getDiscoverableSmallMs"), 1.2, "1.2×")
        atMost("keystore allow-list get, large / small", value("keystore", "getAllowLargeMs/getAllowSmallMs"), 1.2, "1.2×")
        atLeast("serve getAssertions over UDP (/s)", value("serve", "serveWarm"), 5000, "5,000/s")
        atMost("serve p99 latency, one client (ms)", value("serve", "warmP99Ms"), 2, "2 ms")
    }

    /// What the run ran on.
    public static func machine() -> [(String, String)] {
        var info: [(String, String)] = []
        if let cpu = readText("/proc/cpuinfo")?.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let model = cpu.split(separator: ":", maxSplits: 1).last {
            info.append(("cpu", String(model.drop { $0 == " " || $0 == "\t" })))
        }
        info.append(("cores", "\(MachineLoad.cores)"))
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        info.append(("kernel", release))
        info.append(("openssl", String(cString: OpenSSL_version(OPENSSL_VERSION))))
        info.append(("loadavg", String(format1: MachineLoad.loadAverage())))
        return info
    }

    static func readText(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[0..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func json(_ statistic: Statistic, _ unit: MeasurementGroup.Unit) -> JSONValue {
        .object([("median", .number(rounded(statistic.median))), ("low", .number(rounded(statistic.low))),
                 ("high", .number(rounded(statistic.high))), ("samples", .number(Double(statistic.samples))),
                 ("unit", .string(unit.rawValue))])
    }

    static func json(_ load: MachineLoad?) -> JSONValue {
        guard let load else { return .null }
        var members: [(String, JSONValue)] = [("loadAverageStart", .number(rounded(load.loadAverageStart))),
                                              ("loadAverageEnd", .number(rounded(load.loadAverageEnd))),
                                              ("seconds", .number(rounded(load.seconds)))]
        if let cores = load.otherCores { members.append(("otherProcessesCores", .number(rounded(cores)))) }
        return .object(members)
    }

    public var json: JSONValue {
        .object([
            ("machine", .object(Self.machine().map { ($0.0, .string($0.1)) })),
            ("settings", .object([("quick", .bool(settings.quick)), ("rounds", .number(Double(settings.rounds))),
                                  ("sliceSeconds", .number(settings.slice)), ("largeKeystore", .number(Double(settings.largeKeystore)))])),
            ("results", .object(groups.map { group in
                (group.name, .object(group.entries.map { ($0.name, Self.json($0.statistic, $0.unit)) }))
            })),
            ("load", .object(groups.map { ($0.name, Self.json($0.load)) })),
            ("notes", .object(groups.filter { !$0.notes.isEmpty }.map { ($0.name, .array($0.notes.map(JSONValue.string))) })),
            ("skipped", .array(skipped.map(JSONValue.string))),
            ("goals", .array(goals.map { goal in
                .object([("name", .string(goal.name)), ("value", .number(Self.rounded(goal.value))), ("goal", .string(goal.goal)),
                         ("met", .bool(goal.met))])
            })),
        ])
    }

    public var table: String {
        var lines: [String] = []
        for group in groups {
            lines.append(group.name + (group.load.map { " (\($0.description))" } ?? ""))
            for entry in group.entries {
                let spread = entry.statistic.samples > 1
                    ? "[" + Self.formatted(entry.statistic.low, entry.unit) + " – " + Self.formatted(entry.statistic.high, entry.unit) + "], n=\(entry.statistic.samples)"
                    : ""
                lines.append("  " + entry.name.padded(44) + Self.formatted(entry.statistic.median, entry.unit).padded(14) + spread)
            }
            for note in group.notes { lines.append("  note: " + note) }
        }
        for reason in skipped { lines.append("not measured: " + reason) }
        lines.append("goals (medians of ratios from this run)")
        for goal in goals {
            lines.append("  " + goal.name.padded(46) + String(format1: goal.value).padded(10) + goal.goal.padded(10) + (goal.met ? "met" : "NOT MET"))
        }
        lines.append("machine: " + Self.machine().map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        return lines.joined(separator: "\n") + "\n"
    }

    static func formatted(_ value: Double, _ unit: MeasurementGroup.Unit) -> String {
        switch unit {
        case .ratio: return String(format1: value) + "×"
        case .milliseconds: return String(format3: value) + " ms"
        case .megabytes: return String(format1: value) + " MB"
        case .perSecond: return String(Int(value.rounded())) + "/s"
        case .count: return String(Int(value.rounded()))
        }
    }

    /// Three significant decimals are plenty, and keep the JSON readable.
    static func rounded(_ value: Double) -> Double {
        guard value.isFinite else { return 0 }
        return value >= 100 ? value.rounded() : (value * 1000).rounded() / 1000
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    /// Fixed-point with 2 decimals (no Foundation `String(format:)` here).
    init(format1 value: Double) {
        guard value.isFinite else {
            self = "?"
            return
        }
        let scaled = Int((value * 100).rounded())
        let fraction = abs(scaled % 100)
        self = "\(scaled < 0 && scaled / 100 == 0 ? "-" : "")\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    init(format3 value: Double) {
        guard value.isFinite else {
            self = "?"
            return
        }
        let scaled = Int((value * 1000).rounded())
        let fraction = abs(scaled % 1000)
        self = "\(scaled / 1000)." + String(repeating: "0", count: 3 - String(fraction).count) + String(fraction)
    }
}
