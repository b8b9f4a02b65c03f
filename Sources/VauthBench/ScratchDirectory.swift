#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private temporary directory (mode 0700), removed with everything in it when closed.
final class ScratchDirectory {
    let path: String

    /// A new directory under `parent` (e.g. /tmp, or /dev/shm for tmpfs); nil if it cannot be made.
    init?(under parent: String) {
        var template = Array("\(parent)/vauth-bench-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else { return nil }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func save(_ name: String, _ bytes: [UInt8]) throws {
        let fd = open(file(name), O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw BenchmarkError("cannot create \(file(name))") }
        defer { close(fd) }
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw BenchmarkError("cannot write \(file(name))")
        }
    }

    /// Copies the file at `source` to `destination` (replacing it), or removes `destination` when
    /// `source` does not exist: restoring a keystore's files to a saved state between rounds.
    static func copy(_ source: String, to destination: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else {
            unlink(destination)
            return
        }
        defer { close(input) }
        let output = open(destination, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw BenchmarkError("cannot create \(destination)") }
        defer { close(output) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            guard buffer.withUnsafeBytes({ write(output, $0.baseAddress, count) }) == count else {
                throw BenchmarkError("cannot write \(destination)")
            }
        }
    }

    /// Drops `path`'s pages from the page cache (`posix_fadvise(POSIX_FADV_DONTNEED)`), so the
    /// next run reads it from the disk: a cold start without dropping every cache on the machine.
    static func evictFromPageCache(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fdatasync(fd)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_DONTNEED))
        close(fd)
    }

    /// Removes the directory and the files in it (it has no subdirectories).
    func remove() {
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(file(name)) }
            }
            closedir(dir)
        }
        rmdir(path)
    }

    /// The directory part of `path`, for saying where a measurement ran.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return String(path[..<slash])
    }

    /// Whether `mountPoint` is a tmpfs (memory) file system, from /proc/mounts.
    static func isTmpfs(_ mountPoint: String) -> Bool {
        guard let mounts = BenchmarkReport.readText("/proc/mounts") else { return false }
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count >= 3 && fields[1] == mountPoint && fields[2] == "tmpfs"
        }
    }
}
