// vauth-fuzz: the libFuzzer driver for the harnesses in Tests/Fuzz/Harnesses, and their replayer.
//
//   VAUTH_FUZZ_HARNESS=NAME vauth-fuzz [libFuzzer flags] [CORPUS_DIR…]   fuzz (fuzz build, run.sh)
//   vauth-fuzz --replay HARNESS FILE_OR_DIR…                             run inputs once (any build)
//   vauth-fuzz --list                                                     the harnesses
//
// In the fuzz build (-sanitize=fuzzer, -DVAUTH_LIBFUZZER) this main hands over to libFuzzer
// through LLVMFuzzerRunDriver (LibFuzzerEntry.swift); which `main` the linker keeps when both
// Swift's and libFuzzer's exist is not something to rely on, so both paths lead there.
import VauthFuzzing
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    let line = Array("vauth-fuzz: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func readFile(_ path: String) -> [UInt8]? {
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

/// Files of `path`: itself, or the regular files directly in it, sorted.
func inputs(_ path: String) -> [String] {
    guard let directory = opendir(path) else { return [path] }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
        if !name.hasPrefix(".") { names.append(path + "/" + name) }
    }
    return names.sorted()
}

var arguments = CommandLine.arguments
#if VAUTH_LIBFUZZER
if getenv("VAUTH_FUZZ_HARNESS") != nil { exit(runLibFuzzer()) }
#endif
if arguments.count >= 2, arguments[1] == "--list" {
    for harness in FuzzHarness.all { print("\(harness.name)\t\(harness.summary)") }
    exit(0)
}
let replay = arguments.count >= 2 && arguments[1] == "--replay"
if replay { arguments.remove(at: 1) }
guard arguments.count >= 2, let harness = FuzzHarness.named(arguments[1]) else {
    fail("usage: vauth-fuzz [--replay] HARNESS … (harnesses: \(FuzzHarness.all.map(\.name).joined(separator: ", ")))")
}
FuzzHarness.prepare()

if replay {
    var count = 0
    for path in arguments.dropFirst(2) {
        for file in inputs(path) {
            guard let bytes = readFile(file) else { fail("cannot read \(file)") }
            harness.run(bytes)
            count += 1
        }
    }
    print("\(harness.name): \(count) inputs replayed, no crash")
    exit(0)
}

fail("set VAUTH_FUZZ_HARNESS in the fuzz build (Tests/Fuzz/run.sh), or use --replay")
