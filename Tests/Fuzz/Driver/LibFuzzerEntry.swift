import VauthFuzzing
#if canImport(Glibc)
import Glibc
#endif

// libFuzzer's entry points (https://llvm.org/docs/LibFuzzer.html). libFuzzer treats every
// non-flag argument as a corpus directory, so the harness is named by VAUTH_FUZZ_HARNESS.

nonisolated(unsafe) private var selectedHarness: FuzzHarness?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> Int32 {
    let name = getenv("VAUTH_FUZZ_HARNESS").map { String(cString: $0) } ?? ""
    guard let harness = FuzzHarness.named(name) else {
        let line = Array("vauth-fuzz: set VAUTH_FUZZ_HARNESS to one of \(FuzzHarness.all.map(\.name).joined(separator: ", "))\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(2)
    }
    FuzzHarness.prepare()
    selectedHarness = harness
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = size == 0 || data == nil ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selectedHarness?.run(bytes)
    return 0
}

#if VAUTH_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

/// libFuzzer with this process's arguments, the harness named by VAUTH_FUZZ_HARNESS.
func runLibFuzzer() -> Int32 {
    var cArguments: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
    var argc = Int32(cArguments.count - 1)
    return cArguments.withUnsafeMutableBufferPointer { buffer -> Int32 in
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = buffer.baseAddress
        _ = fuzzerInitialize(&argc, &argv)
        return LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzerTestOneInput(data, size) }
    }
}
#endif
