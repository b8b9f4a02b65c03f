import Testing
import VauthFuzzing
#if canImport(Glibc)
import Glibc
#endif

/// Every seed of Tests/Fuzz/corpus/<harness>/ and every input that once crashed a harness,
/// Tests/Fuzz/regressions/<harness>/ (the libfido2 regress/ habit), through the harness again. A
/// regression comes back as a crash of this test process.
struct FuzzRegressionTests {
    static let harnesses: [String] = FuzzHarness.all.map(\.name)

    @Test(arguments: harnesses)
    func seedsAndRegressionsReplayWithoutCrash(_ name: String) throws {
        let harness = try #require(FuzzHarness.named(name))
        FuzzHarness.prepare()
        var count = 0
        for directory in ["corpus", "regressions"] {
            for file in Self.files(in: FuzzHarness.fuzzDirectory + "/\(directory)/\(name)") {
                harness.run(try #require(Self.read(file), "cannot read \(file)"))
                count += 1
            }
        }
        #expect(count > 0, "no seeds for \(name)")
    }

    static func files(in path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            if !name.hasPrefix(".") && name != "README.md" { names.append(path + "/" + name) }
        }
        return names.sorted()
    }

    static func read(_ path: String) -> [UInt8]? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return bytes
    }
}
