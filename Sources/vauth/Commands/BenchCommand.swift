import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "Print the benchmark table.")
    func run() async throws { throw CLIError.badInput("not yet") }
}
