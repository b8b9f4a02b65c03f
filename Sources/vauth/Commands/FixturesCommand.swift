import ArgumentParser
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
#if canImport(Glibc)
import Glibc
#endif
import VauthFixtures

/// `vauth fixtures`: writes the deterministic test-vector set (fixtures/README.md describes it).
struct FixturesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fixtures",
        abstract: "Write deterministic WebAuthn test vectors (valid and invalid) for relying-party tests.",
        discussion: """
            The same --seed, --count and vauth version give byte-identical files. Each vector is one JSON \
            file; manifest.json lists them with their SHA-256. Files of the same names in --out are replaced, \
            others are left alone. No keystore is read or written.
            """)

    @Option(help: "The seed every key, id, challenge and signature derives from (0 to 2^53-1).")
    var seed: UInt64

    @Option(help: "The folder to write the files into; created if missing.")
    var out: String

    @Option(help: "How many vector files (default: one of each case; more repeat the cases with fresh keys).")
    var count: Int?

    func run() async throws {
        // An empty path would resolve to the current directory and scatter ~100 files there.
        guard !out.isEmpty else { throw CLIError.badInput("--out needs a folder path, not an empty string") }
        let generator: FixtureGenerator
        do { generator = try FixtureGenerator(seed: seed, count: count) } catch { throw CLIError.badInput(error.description) }
        let files: [FixtureGenerator.File]
        do { files = try generator.generate() } catch { throw CLIError.refused("fixture generation failed: \(error)") }

        let folder = URL(fileURLWithPath: KeystoreOptions.absolute(out), isDirectory: true)
        var status = stat()
        if stat(folder.path, &status) == 0, status.st_mode & S_IFMT != S_IFDIR {
            throw CLIError.badInput("--out \(out) exists and is not a folder")
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in files {
                try Data(file.bytes).write(to: folder.appendingPathComponent(file.name), options: .atomic)
            }
        } catch {
            throw CLIError.badInput("cannot write to \(out): \(error)")
        }
        Terminal.writeStdout("wrote \(files.count - 1) vectors and manifest.json to \(out) (seed \(seed), count \(generator.count))\n")
    }
}
