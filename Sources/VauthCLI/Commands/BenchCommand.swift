import ArgumentParser
import VauthBench
import VauthWebAuthn

#if canImport(Glibc)
import Glibc
#endif

/// `vauth bench`: the benchmark table (speed and memory goals live here, never in timed tests).
package struct BenchCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.bench.configuration()

    @Flag(help: "A quick run (under 20 seconds): shorter and fewer rounds.")
    var quick = false

    @Flag(help: "Print the results as JSON (numbers: operations per second, ms, MB, ratios).")
    var json = false

    package init() {}

    package func run() async throws {
        let report = try Benchmarks(settings: .init(quick: quick), executable: Self.executablePath())
            .run { Terminal.note("bench: \($0)") }
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
