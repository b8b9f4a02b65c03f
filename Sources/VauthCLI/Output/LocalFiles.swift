import VauthKeystore

#if canImport(Glibc)
import Glibc
#endif

/// The few file operations the offline commands need besides the keystore, in plain POSIX: the
/// CLI does without Foundation, whose libraries (ICU among them) would cost every `vauth`
/// process start-up time and memory.
package enum LocalFiles {
    /// A file system failure: what was done, to which path, and errno's text.
    package struct Failure: Error, CustomStringConvertible {
        package let operation: String
        package let path: String
        package let code: Int32
        package var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// Creates `path` and missing parents (mode 0777 less the umask, as mkdir -p does).
    package static func makeDirectories(_ path: String) throws(Failure) {
        var status = stat()
        if stat(path, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else { throw Failure(operation: "create folder", path: path, code: ENOTDIR) }
            return
        }
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            try makeDirectories(String(path[..<slash]))
        }
        if mkdir(path, 0o777) != 0 && errno != EEXIST { throw Failure(operation: "create folder", path: path, code: errno) }
    }

    /// Replaces `path` with `bytes` through a temporary file in the same folder and a rename, so a
    /// reader sees the old file or the new one, never half of it (mode 0666 less the umask).
    package static func writeAtomically(_ path: String, _ bytes: [UInt8]) throws(Failure) {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o666)
        guard fd >= 0 else { throw Failure(operation: "create", path: temporary, code: errno) }
        var failure: Failure?
        var written = 0
        bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let n = write(fd, buffer.baseAddress! + written, buffer.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { failure = Failure(operation: "write", path: temporary, code: n < 0 ? errno : EIO); return }
                written += n
            }
        }
        if close(fd) != 0, failure == nil { failure = Failure(operation: "write", path: temporary, code: errno) }
        if failure == nil, rename(temporary, path) != 0 { failure = Failure(operation: "replace", path: path, code: errno) }
        if let failure {
            unlink(temporary)
            throw failure
        }
    }

    /// Writes a new file that only the user may read (0600 whatever the umask); refuses to
    /// replace anything.
    package static func writePrivate(_ path: String, _ bytes: [UInt8]) throws(Failure) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw Failure(operation: "create", path: path, code: errno) }
        defer { close(fd) }
        guard fchmod(fd, 0o600) == 0 else { throw Failure(operation: "chmod", path: path, code: errno) }
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw Failure(operation: "write", path: path, code: n < 0 ? errno : EIO) }
    }

    /// A new private folder (0700) under $TMPDIR (else /tmp), removed with its files by ``remove(_:)``.
    package static func makeScratchDirectory(prefix: String) throws(Failure) -> String {
        var parent = Terminal.environment["TMPDIR"] ?? "/tmp"
        if parent.isEmpty { parent = "/tmp" }
        while parent.count > 1 && parent.hasSuffix("/") { parent.removeLast() }
        var template = Array("\(parent)/\(prefix)XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw Failure(operation: "create a folder in", path: parent, code: errno)
        }
        return String(cString: made)
    }

    /// Removes `directory` and the files in it (one level: scratch folders have no subfolders).
    package static func remove(_ directory: String) {
        if let dir = opendir(directory) {
            var names: [String] = []
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name != "." && name != ".." { names.append(name) }
            }
            closedir(dir)
            for name in names { unlink(directory + "/" + name) }
        }
        rmdir(directory)
    }
}
