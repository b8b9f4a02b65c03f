#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole small input file: a regular file, or a pipe (`<(…)` process substitution,
/// `/dev/stdin`, a named pipe), which has no size to ask for beforehand.
///
/// The file is opened non-blocking, so a named pipe with no writer reads as empty instead of
/// hanging; directories and devices other than a terminal or `/dev/null` are refused naming what
/// they are. Inputs are capped at `limit` bytes (`/dev/zero` never ends).
public enum WholeFile {
    public static func read(_ path: String, limit: Int = 64 << 20) throws(KeystoreError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw KeystoreError.io(path: path, operation: "open", errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw KeystoreError.io(path: path, operation: "stat", errno: errno) }
        let type = st.st_mode & S_IFMT
        switch type {
        case S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR: break
        default: throw KeystoreError.notRegularFile(path: path, kind: AtomicFile.describe(type))
        }
        var out: [UInt8] = []
        // A regular file says its size: one allocation of it, not a doubling array's 2× peak.
        if type == S_IFREG, st.st_size > 0 { out.reserveCapacity(min(Int(st.st_size), limit) + 1) }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        defer { for i in chunk.indices { chunk[i] = 0 } }
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count == 0 { return out }
            if count < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    // A pipe whose writer has not written yet: wait for data or its end.
                    var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    _ = poll(&poller, 1, -1)
                    continue
                }
                throw KeystoreError.io(path: path, operation: "read", errno: errno)
            }
            out += chunk[0..<count]
            guard out.count <= limit else { throw KeystoreError.io(path: path, operation: "read (more than \(limit) bytes)", errno: EFBIG) }
        }
    }
}
