#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VauthCrypto

/// File system steps with the guarantees the keystore promises.
enum AtomicFile {
    /// Replaces `path` with `bytes` so that a crash at any instant leaves either the old file or
    /// the new one, never a mix: write a temporary file in the same directory, fsync it, rename it
    /// over `path`, fsync the directory (so the rename itself is durable).
    static func replace(_ path: String, with bytes: [UInt8]) throws(KeystoreError) {
        let directory = parentDirectory(of: path)
        let suffix = Hex.encode((try? SecureRandom.bytes(6)) ?? [UInt8(truncatingIfNeeded: getpid())])
        let temporary = directory + "/." + lastComponent(of: path) + ".tmp-" + suffix
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KeystoreError.io(path: temporary, operation: "create", errno: errno) }
        var failure: KeystoreError?
        // The umask can only remove bits; fchmod makes 0600 exact whatever it is.
        if fchmod(fd, 0o600) != 0 { failure = .io(path: temporary, operation: "chmod", errno: errno) }
        if failure == nil {
            var written = 0
            bytes.withUnsafeBytes { buffer in
                while written < buffer.count {
                    let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = .io(path: temporary, operation: "write", errno: errno)
                        return
                    }
                    written += n
                }
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = .io(path: temporary, operation: "fsync", errno: errno) }
        if close(fd) != 0, failure == nil { failure = .io(path: temporary, operation: "close", errno: errno) }
        if failure == nil, rename(temporary, path) != 0 { failure = .io(path: path, operation: "rename", errno: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
        try syncDirectory(directory)
    }

    /// Removes `path` if it exists and makes the removal durable.
    static func remove(_ path: String) throws(KeystoreError) {
        if unlink(path) != 0 {
            if errno == ENOENT { return }
            throw KeystoreError.io(path: path, operation: "unlink", errno: errno)
        }
        try syncDirectory(parentDirectory(of: path))
    }

    static func syncDirectory(_ directory: String) throws(KeystoreError) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw KeystoreError.io(path: directory, operation: "open directory", errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw KeystoreError.io(path: directory, operation: "fsync directory", errno: errno) }
    }

    /// Creates `directory` and missing parents with mode 0700 (private to the user).
    static func makeDirectory(_ directory: String) throws(KeystoreError) {
        var st = stat()
        if stat(directory, &st) == 0 { return }
        let parent = parentDirectory(of: directory)
        if parent != directory { try makeDirectory(parent) }
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw KeystoreError.io(path: directory, operation: "mkdir", errno: errno)
        }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

/// A read-only memory mapping of a whole file. Commands touch only the pages they need, so a
/// large keystore costs a lookup what a small one does, not a read of every byte.
final class MappedFile {
    let count: Int
    private let base: UnsafeMutableRawPointer?

    /// Maps `path`; `nil` when it does not exist.
    init?(path: String) throws(KeystoreError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw KeystoreError.io(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw KeystoreError.io(path: path, operation: "stat", errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw KeystoreError.notAKeystore(path: path) }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else { throw KeystoreError.io(path: path, operation: "mmap", errno: errno) }
        base = mapped
    }

    deinit {
        if let base { munmap(base, count) }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    subscript(range: Range<Int>) -> [UInt8] {
        withUnsafeBytes { Array($0[range]) }
    }
}
