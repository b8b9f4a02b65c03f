#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole (small) file with POSIX calls; the WebAuthn layer needs only this one read, for
/// the Public Suffix List, and does not take Foundation in for it.
enum FileReading {
    static func contents(of path: String) throws(WebAuthnClientError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unknown("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return out }
            if count < 0 {
                if errno == EINTR { continue }
                throw .unknown("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            out += chunk[0..<count]
        }
    }

    /// The value of an environment variable, `nil` when unset or empty.
    static func environment(_ name: String) -> String? {
        guard let value = getenv(name) else { return nil }
        let string = String(cString: value)
        return string.isEmpty ? nil : string
    }
}
