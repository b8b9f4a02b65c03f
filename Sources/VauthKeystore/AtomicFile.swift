#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VauthCrypto

/// File system steps with the guarantees the keystore promises.
enum AtomicFile {
    /// What a completed replacement could not finish: the new file is in place (the rename
    /// happened), but a later step failed. The caller reports it as a warning, not a failure,
    /// because the change did happen.
    struct Aftermath {
        var warnings: [String] = []
    }

    /// Replaces `path` with `bytes` so that a crash at any instant leaves either the old file or
    /// the new one, never a mix: write a temporary file in the same directory, fsync it, rename it
    /// over `path`, fsync the directory (so the rename itself is durable). Throws only while
    /// nothing has changed; a failure after the rename (the directory fsync) comes back in the
    /// aftermath.
    @discardableResult
    static func replace(_ path: String, with bytes: [UInt8], beforeRename: () throws(KeystoreError) -> Void = {}) throws(KeystoreError) -> Aftermath {
        let directory = parentDirectory(of: path)
        let suffix = Hex.encode((try? SecureRandom.bytes(6)) ?? [UInt8(truncatingIfNeeded: getpid())])
        let temporary = directory + "/" + temporaryPrefix(for: path) + suffix
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw KeystoreError.io(path: temporary, operation: "create", errno: errno) }
        var failure: KeystoreError?
        // The umask can only remove bits; fchmod makes 0600 exact whatever it is.
        if fchmod(fd, 0o600) != 0 { failure = .io(path: temporary, operation: "chmod", errno: errno) }
        if failure == nil, let error = writeAll(fd, bytes, at: nil) { failure = .io(path: temporary, operation: "write", errno: error) }
        if failure == nil, fsync(fd) != 0 { failure = .io(path: temporary, operation: "fsync", errno: errno) }
        if close(fd) != 0, failure == nil { failure = .io(path: temporary, operation: "close", errno: errno) }
        if failure == nil {
            do { try beforeRename() } catch { failure = error }
        }
        if failure == nil, rename(temporary, path) != 0 {
            // Our temporary vanished: only another writer cleaning up could do that, one that took
            // the lock after someone deleted the lock file under us.
            failure = errno == ENOENT ? .changedConcurrently(path: path) : .io(path: path, operation: "rename", errno: errno)
        }
        if let failure {
            unlink(temporary)
            throw failure
        }
        var aftermath = Aftermath()
        do { try syncDirectory(directory) } catch {
            aftermath.warnings.append("the change is written, but \(error) failed: it may not survive a power cut")
        }
        return aftermath
    }

    /// The name prefix of `path`'s temporaries: `.<name>.tmp-`.
    static func temporaryPrefix(for path: String) -> String { "." + lastComponent(of: path) + ".tmp-" }

    /// Removes temporaries that a killed writer left beside `paths` (they may hold private keys
    /// sealed under a superseded passphrase). Only called under the exclusive lock, when no other
    /// writer can be between creating and renaming one.
    static func removeStaleTemporaries(of paths: [String]) {
        guard let first = paths.first else { return }
        let prefixes = paths.map(temporaryPrefix(for:))
        guard let dir = opendir(parentDirectory(of: first)) else { return }
        defer { closedir(dir) }
        var stale: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if prefixes.contains(where: { name.hasPrefix($0) }) { stale.append(name) }
        }
        for name in stale { unlink(parentDirectory(of: first) + "/" + name) }
    }

    /// Writes all of `bytes` (at `offset`, or the file position when nil). Returns errno on failure.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int?) -> Int32? {
        var written = 0
        var failure: Int32?
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = offset.map { pwrite(fd, buffer.baseAddress! + written, buffer.count - written, off_t($0 + written)) }
                    ?? write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = errno
                    return
                }
                if n == 0 { failure = EIO; return }
                written += n
            }
        }
        return failure
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

    /// Creates `directory` and missing parents with mode 0700 (private to the user). The mode is
    /// set with chmod after mkdir, so a restrictive umask (0277 would give 0500, a directory we
    /// could not write into) does not change it.
    static func makeDirectory(_ directory: String) throws(KeystoreError) {
        var st = stat()
        if stat(directory, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFDIR else { throw KeystoreError.io(path: directory, operation: "use as directory", errno: ENOTDIR) }
            return
        }
        let parent = parentDirectory(of: directory)
        if parent != directory { try makeDirectory(parent) }
        if mkdir(directory, 0o700) != 0 {
            if errno == EEXIST { return }
            throw KeystoreError.io(path: directory, operation: "mkdir", errno: errno)
        }
        if chmod(directory, 0o700) != 0 { throw KeystoreError.io(path: directory, operation: "chmod", errno: errno) }
    }

    /// Whether something is at `path`; nothing there (ENOENT, ENOTDIR) is false, any other
    /// failure to look (EACCES, ELOOP, EIO) is an error naming it.
    static func exists(_ path: String) throws(KeystoreError) -> Bool {
        var st = stat()
        if stat(path, &st) == 0 { return true }
        let code = errno
        if code == ENOENT || code == ENOTDIR { return false }
        throw KeystoreError.io(path: path, operation: "stat", errno: code)
    }

    /// What is at `path`, following symbolic links; nil when nothing is.
    static func fileType(_ path: String) -> mode_t? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return st.st_mode & S_IFMT
    }

    /// The file a keystore path names. A symbolic link is followed (the keystore and its
    /// companions are written beside the link's target, so the link survives); a link to nothing
    /// is refused, as is anything but a regular file. FORMAT.md, "Files".
    static func resolveKeystorePath(_ path: String) throws(KeystoreError) -> String {
        var lst = stat()
        guard lstat(path, &lst) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return path }
            throw KeystoreError.io(path: path, operation: "stat", errno: code)
        }
        if (lst.st_mode & S_IFMT) == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw KeystoreError.notRegularFile(path: path, kind: "a symbolic link to nothing")
            }
            defer { free(resolved) }
            let target = String(cString: resolved)
            guard let type = fileType(target) else { return target }
            guard type == S_IFREG else { throw KeystoreError.notRegularFile(path: path, kind: describe(type)) }
            return target
        }
        let type = lst.st_mode & S_IFMT
        guard type == S_IFREG else { throw KeystoreError.notRegularFile(path: path, kind: describe(type)) }
        return path
    }

    static func describe(_ type: mode_t) -> String {
        switch type {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a named pipe"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "not a regular file"
        }
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

/// A whole file, read-only: memory-mapped from disk (commands touch only the pages they need, so
/// a large keystore costs a lookup what a small one does), or the bytes just written.
final class MappedFile {
    let count: Int
    private let base: UnsafeMutableRawPointer?
    private let owned: [UInt8]?
    /// Device and inode of the mapped file (zero for bytes in memory).
    let device: UInt64
    let inode: UInt64

    /// Maps `path`; `nil` when it does not exist. Anything but a regular file is refused before
    /// it is read (a named pipe would block forever).
    init?(path: String) throws(KeystoreError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw KeystoreError.io(path: path, operation: "open", errno: errno)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw KeystoreError.io(path: path, operation: "stat", errno: errno) }
        let type = st.st_mode & S_IFMT
        guard type == S_IFREG else { throw KeystoreError.notRegularFile(path: path, kind: AtomicFile.describe(type)) }
        count = Int(st.st_size)
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        owned = nil
        if count == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else { throw KeystoreError.io(path: path, operation: "mmap", errno: errno) }
        base = mapped
    }

    /// The bytes just written to `path`, kept in memory (no second open after a rename, which
    /// could only fail after the change had happened).
    init(bytes: [UInt8], writtenTo path: String) {
        count = bytes.count
        owned = bytes
        base = nil
        var st = stat()
        if stat(path, &st) == 0 {
            device = UInt64(st.st_dev)
            inode = UInt64(st.st_ino)
        } else {
            device = 0
            inode = 0
        }
    }

    deinit {
        if let base { munmap(base, count) }
    }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let owned { return try owned.withUnsafeBytes(body) }
        return try body(UnsafeRawBufferPointer(start: base, count: count))
    }

    subscript(range: Range<Int>) -> [UInt8] {
        withUnsafeBytes { Array($0[range]) }
    }

    /// Whether `path` still names this file (another process may have replaced it by rename).
    func isCurrent(at path: String) -> Bool {
        var st = stat()
        guard stat(path, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }
}
