import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import VauthFixtures

/// `vauth fixtures`: writes the deterministic test-vector set (fixtures/README.md describes it).
package struct FixturesCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.fixtures.configuration()

    @Option(help: "The seed every key, id, challenge and signature derives from (0 to 2^53-1).")
    var seed: UInt64

    @Option(help: "The folder to write the files into; created if missing.")
    var out: String

    @Option(help: "How many vector files (default: one of each case; more repeat the cases with fresh keys).")
    var count: Int?

    package init() {}

    package func run() async throws {
        // An empty path would resolve to the current directory and scatter ~100 files there.
        guard !out.isEmpty else { throw CLIError.badInput("--out needs a folder path, not an empty string") }
        let generator: FixtureGenerator
        do { generator = try FixtureGenerator(seed: seed, count: count) } catch { throw CLIError.badInput(error.description) }
        let files: [FixtureGenerator.File]
        do { files = try generator.generate() } catch { throw CLIError.refused("fixture generation failed: \(error)") }

        let folder = KeystoreOptions.absolute(out)
        var status = stat()
        if stat(folder, &status) == 0, status.st_mode & S_IFMT != S_IFDIR {
            throw CLIError.badInput("--out \(out) exists and is not a folder")
        }
        do {
            try LocalFiles.makeDirectories(folder)
            for file in files {
                try LocalFiles.writeAtomically(folder + "/" + file.name, file.bytes)
            }
        } catch {
            throw CLIError.badInput("cannot write to \(out): \(error)")
        }
        Terminal.writeStdout("wrote \(files.count - 1) vectors and manifest.json to \(out) (seed \(seed), count \(generator.count))\n")
    }
}
