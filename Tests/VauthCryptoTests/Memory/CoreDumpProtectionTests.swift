import Testing
import VauthCrypto
#if canImport(Glibc)
import Glibc
#endif

/// The protection the CLI turns on at start, read back from the kernel.
struct CoreDumpProtectionTests {
    @Test func enableMakesTheProcessUndumpableWithNoCoreLimit() throws {
        // This makes the test process itself undumpable for the rest of the run, which only
        // means no core file for it: nothing else in the tests depends on dumps.
        let status = CoreDumpProtection.enable()
        #expect(status.dumpable == 0, "prctl(PR_GET_DUMPABLE) after enable")
        #expect(status.coreLimit.soft == 0 && status.coreLimit.hard == 0)
        #expect(status.isProtected)
        #expect(CoreDumpProtection.current() == status)

        // The kernel's own view: /proc/self/limits has the core line at 0 / 0.
        let limits = try #require(readProcFile("/proc/self/limits"))
        let core = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        let fields = core.split(separator: " ", omittingEmptySubsequences: true)
        #expect(fields.count >= 6 && fields[4] == "0" && fields[5] == "0", "\(core)")
    }

    private func readProcFile(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, file)
            if n <= 0 { break }
            bytes += buffer[..<n]
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
