import COpenSSL
import VauthWebAuthn

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The numbers of one run, the goals they are held to, and the machine they ran on.
///
/// Units are in the names' documentation in BENCHMARKS.md: rates are operations per second,
/// `…Ms` milliseconds, `…MB` megabytes (MiB), keystore assertions milliseconds, ratios plain.
public struct BenchmarkReport {
    public struct Goal: Sendable {
        public var name: String
        public var value: Double
        public var goal: String
        public var met: Bool
    }

    public let settings: Benchmarks.Settings
    public private(set) var groups: [(name: String, numbers: [(String, Double)])] = []
    public private(set) var goals: [Goal] = []

    init(settings: Benchmarks.Settings) {
        self.settings = settings
    }

    mutating func add(group: String, _ numbers: [(String, Double)]) {
        groups.append((group, numbers))
    }

    public func value(_ group: String, _ name: String) -> Double? {
        groups.first { $0.name == group }?.numbers.first { $0.0 == name }?.1
    }

    /// The goals of issue 10, as ratios within this run (and the command's absolute budgets).
    mutating func evaluateGoals() {
        func atLeast(_ name: String, _ value: Double?, _ bound: Double, _ text: String) {
            if let value { goals.append(Goal(name: name, value: value, goal: "≥ \(text)", met: value >= bound)) }
        }
        func atMost(_ name: String, _ value: Double?, _ bound: Double, _ text: String) {
            if let value { goals.append(Goal(name: name, value: value, goal: "≤ \(text)", met: value <= bound)) }
        }
        atLeast("ES256 getAssertion warm / OpenSSL sign", value("es256", "warmRatio"), 0.75, "0.75×")
        atLeast("ES256 getAssertion cold / OpenSSL sign", value("es256", "coldRatio"), 0.4, "0.4×")
        atLeast("EdDSA getAssertion warm / OpenSSL sign", value("eddsa", "warmRatio"), 0.7, "0.7×")
        atLeast("RS256 getAssertion warm / OpenSSL sign", value("rs256", "warmRatio"), 0.9, "0.9×")
        atMost("keystore assertion 10,000 / 10 credentials", value("keystore", "ratio"), 2, "2×")
        atMost("`vauth get` wall time (ms)", value("cli", "getWallMs"), 15, "15 ms")
        atMost("`vauth get` peak RSS (MB)", value("cli", "getPeakRssMB"), 20, "20 MB")
        atMost("`vauth --version` wall time (ms)", value("cli", "versionWallMs"), 5, "5 ms")
    }

    /// What the run ran on.
    public static func machine() -> [(String, String)] {
        var info: [(String, String)] = []
        if let cpu = readText("/proc/cpuinfo")?.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let model = cpu.split(separator: ":", maxSplits: 1).last {
            info.append(("cpu", String(model.drop { $0 == " " || $0 == "\t" })))
        }
        info.append(("cores", "\(sysconf(Int32(_SC_NPROCESSORS_ONLN)))"))
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        info.append(("kernel", release))
        info.append(("openssl", String(cString: OpenSSL_version(OPENSSL_VERSION))))
        var load = [Double](repeating: 0, count: 3)
        if getloadavg(&load, 3) == 3 { info.append(("loadavg", load.map { String(format1: $0) }.joined(separator: " "))) }
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

    public var json: JSONValue {
        .object([
            ("machine", .object(Self.machine().map { ($0.0, .string($0.1)) })),
            ("settings", .object([("quick", .bool(settings.quick)), ("roundSeconds", .number(settings.roundSeconds)),
                                  ("rounds", .number(Double(settings.rounds))), ("largeKeystore", .number(Double(settings.largeKeystore)))])),
            ("results", .object(groups.map { group in (group.name, .object(group.numbers.map { ($0.0, .number(Self.rounded($0.1))) })) })),
            ("goals", .array(goals.map { goal in
                .object([("name", .string(goal.name)), ("value", .number(Self.rounded(goal.value))), ("goal", .string(goal.goal)),
                         ("met", .bool(goal.met))])
            })),
        ])
    }

    public var table: String {
        var lines: [String] = []
        for group in groups {
            lines.append(group.name)
            for (name, value) in group.numbers { lines.append("  " + name.padded(30) + Self.formatted(value, name: name)) }
        }
        lines.append("goals (ratios from this run)")
        for goal in goals {
            lines.append("  " + goal.name.padded(46) + String(format1: goal.value).padded(10) + goal.goal.padded(10) + (goal.met ? "met" : "NOT MET"))
        }
        lines.append("machine: " + Self.machine().map { "\($0.0) \($0.1)" }.joined(separator: ", "))
        return lines.joined(separator: "\n") + "\n"
    }

    static func formatted(_ value: Double, name: String) -> String {
        if name.hasSuffix("Ratio") || name.hasPrefix("ratio") { return String(format1: value) + "×" }
        if name.hasSuffix("Ms") || name.hasPrefix("assert") { return String(format3: value) + " ms" }
        if name.hasSuffix("MB") { return String(format1: value) + " MB" }
        if name == "requestBytes" || name == "onTmpfs" { return String(Int(value)) }
        return String(Int(value.rounded())) + "/s"
    }

    /// Three significant decimals are plenty, and keep the JSON readable.
    static func rounded(_ value: Double) -> Double {
        value >= 100 ? value.rounded() : (value * 1000).rounded() / 1000
    }
}

extension String {
    func padded(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }

    /// Fixed-point with 2 decimals (no Foundation `String(format:)` here).
    init(format1 value: Double) {
        let scaled = Int((value * 100).rounded())
        let fraction = abs(scaled % 100)
        self = "\(scaled / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    init(format3 value: Double) {
        let scaled = Int((value * 1000).rounded())
        let fraction = abs(scaled % 1000)
        self = "\(scaled / 1000)." + String(repeating: "0", count: 3 - String(fraction).count) + String(fraction)
    }
}
