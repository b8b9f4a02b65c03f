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

    /// Whether `mountPoint` is a tmpfs (memory) file system, from /proc/mounts.
    static func isTmpfs(_ mountPoint: String) -> Bool {
        guard let mounts = BenchmarkReport.readText("/proc/mounts") else { return false }
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count >= 3 && fields[1] == mountPoint && fields[2] == "tmpfs"
        }
    }
}
