import ArgumentParser
import VauthBench
import VauthCrypto
import VauthWebAuthn

#if canImport(Glibc)
import Glibc
#endif

/// `vauth bench`: the benchmark table (speed and memory goals live here, never in timed tests).
package struct BenchCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.bench.configuration()

    @Flag(help: "A quick run (well under a minute): fewer and shorter slices, a keystore of 1,000 for the scale.")
    var quick = false

    @Flag(help: "Print the results as JSON (medians with their spread; units in the names).")
    var json = false

    @Option(name: .customLong("soft-webauthn"), help: ArgumentHelp(
        "A Python with soft-webauthn installed, to run it in the same slices (Tests/Interop/bench/compare_soft_webauthn.py makes one).",
        valueName: "python"))
    var softWebauthnPython: String?

    @Option(help: ArgumentHelp("Another vauth binary whose `get` runs in the CLI group's slices, for a start-up ratio between builds.",
                               valueName: "binary"))
    var baseline: String?

    @Option(help: ArgumentHelp("Only these groups, comma-separated: \(Benchmarks.Group.allCases.map(\.rawValue).joined(separator: ", ")); get and create also per algorithm (es256.get).",
                               valueName: "groups"))
    var only: String?

    package init() {}

    package func run() async throws {
        var groups = Set(Benchmarks.Group.allCases)
        var algorithms = COSEAlgorithm.allCases
        if let only {
            guard let parsed = Benchmarks.parseGroups(only) else {
                let unknown = only.split(separator: ",").first { Benchmarks.parseGroups(String($0)) == nil } ?? Substring(only)
                throw CLIError.badInput("--only: no group \(unknown); the groups are \(Benchmarks.Group.allCases.map(\.rawValue).joined(separator: ", ")) (get and create also per algorithm: es256.get)")
            }
            (groups, algorithms) = parsed
        }
        for path in [softWebauthnPython, baseline].compactMap({ $0 }) where access(path, X_OK) != 0 {
            throw CLIError.badInput("cannot run \(path): \(String(cString: strerror(errno)))")
        }
        let benchmarks = Benchmarks(settings: .init(quick: quick), executable: Self.executablePath(), baseline: baseline,
                                    softWebauthnPython: softWebauthnPython, groups: groups, algorithms: algorithms)
        let report = try benchmarks.run { Terminal.note("bench: \($0)") }
        if json {
            Terminal.printJSON(report.json, compact: false)
        } else {
            Terminal.writeStdout(report.table)
        }
    }

    /// This binary, for the whole-command measurement.
    static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
