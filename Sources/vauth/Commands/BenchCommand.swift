import ArgumentParser
import Foundation
import VauthBench
import VauthWebAuthn

/// `vauth bench`: the benchmark table (speed and memory goals live here, never in timed tests).
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure vauth's speed goals and print the table (ratios from one run).")

    @Option(help: "Credentials in the large keystore.")
    var credentials = 10_000

    @Option(help: "Timed repetitions per measurement.")
    var iterations = 200

    @Flag(help: "A quick run: 1,000 credentials, 20 repetitions.")
    var quick = false

    @Flag(help: "Print the table as JSON.")
    var json = false

    func run() async throws {
        var settings = Benchmarks.Settings(largeKeystore: credentials, iterations: iterations)
        if quick { settings = .init(largeKeystore: 1000, iterations: 20) }
        guard settings.largeKeystore > settings.smallKeystore, settings.iterations > 0 else {
            throw CLIError.badInput("--credentials must exceed \(settings.smallKeystore) and --iterations must be positive")
        }
        let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        let rows = try Benchmarks(settings: settings, executable: executable).run { Terminal.note("bench: \($0)") }
        if json {
            Terminal.printJSON(.array(rows.map { row in
                var members: [(String, JSONValue)] = [("name", .string(row.name)), ("value", .string(row.value))]
                if let goal = row.goal { members.append(("goal", .string(goal))) }
                if let met = row.met { members.append(("met", .bool(met))) }
                return .object(members)
            }), compact: false)
            return
        }
        let width = rows.map(\.name.count).max() ?? 0
        var text = ""
        for row in rows {
            var line = row.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + row.value
            if let goal = row.goal, let met = row.met { line += "   goal \(goal): \(met ? "met" : "NOT MET")" }
            text += line + "\n"
        }
        Terminal.writeStdout(text)
    }
}
