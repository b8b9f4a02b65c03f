#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one lock rule of every vauth command (FORMAT.md, "Files, links and locks"; SECURITY.md).
///
/// A command that reads the keystore takes the shared lock, one that changes it the exclusive
/// lock; each waits for it at most ``timeout()`` seconds (`VAUTH_LOCK_TIMEOUT`, default 30),
/// measured on the monotonic clock, and then fails with "keystore … is locked by another process"
/// (exit 1: the operation failed, nothing was wrong with the input). A long-lived process (`vauth
/// serve`, `attach`) takes the lock per operation, never for its lifetime, so another command waits
/// at most for one operation.
public enum KeystoreLocking {
    public static let defaultTimeout = 30.0
    /// The longest wait `VAUTH_LOCK_TIMEOUT` may ask for (a day): a bound that still fires.
    public static let maximumTimeout = 86_400.0

    /// `VAUTH_LOCK_TIMEOUT` (seconds, fractions allowed, 0 = do not wait), else 30.
    public static func timeout() throws(KeystoreError) -> Double {
        guard let raw = getenv("VAUTH_LOCK_TIMEOUT") else { return defaultTimeout }
        let text = String(cString: raw)
        if text.isEmpty { return defaultTimeout }
        guard let seconds = Double(text), seconds.isFinite, (0...maximumTimeout).contains(seconds) else {
            throw KeystoreError.invalidSetting(name: "VAUTH_LOCK_TIMEOUT", reason: "must be a number of seconds from 0 to 86400, not \"\(text.prefix(40))\"")
        }
        return seconds
    }
}

/// An advisory lock (`flock`) on `<keystore>.lock`, which serialises writers across processes.
///
/// The lock lives on its own file because the keystore itself is replaced by rename on every
/// write: a lock on the old inode would not exclude a process that opened the new one. For the
/// same reason a lock is only good while its file is still the one at the path: someone who
/// deletes `keystore.vauth.lock` while a writer holds it lets the next process lock a new file.
/// So the lock checks, after `flock`, that the path still names the file it locked (else it
/// takes the new one), and writers check it again just before they commit (``isCurrent``).
final class FileLock {
    enum Mode { case shared, exclusive }

    private var descriptor: Int32
    private let path: String
    /// A reader on a read-only file system (or in a directory it may not write) that has no lock
    /// file to open reads without one: no writer can be changing the keystore there either, and a
    /// keystore is only ever replaced whole by rename.
    var isHeld: Bool { descriptor >= 0 }

    /// Takes the lock, waiting up to `timeout` seconds (on the monotonic clock, so a loaded machine
    /// that oversleeps cannot stretch it) for another holder to finish. `flock` locks belong to an
    /// open file description, so a second lock in the same process waits like any other: one open
    /// ``KeystoreFile`` per keystore per process.
    init(path: String, mode: Mode, timeout: Double, keystorePath: String) throws(KeystoreError) {
        self.path = path
        let deadline = Self.now() + timeout
        var pause: UInt32 = 1_000
        while true {
            guard let fd = try Self.openLockFile(path, mode: mode) else {
                descriptor = -1
                return
            }
            let operation = (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB
            while flock(fd, operation) != 0 {
                let code = errno
                guard code == EWOULDBLOCK || code == EINTR else {
                    close(fd)
                    throw KeystoreError.io(path: path, operation: "flock", errno: code)
                }
                let left = deadline - Self.now()
                guard left > 0 else {
                    close(fd)
                    throw KeystoreError.locked(path: keystorePath, waited: timeout)
                }
                // Short first (a writer is usually done in milliseconds), then at most 20 ms.
                usleep(min(pause, UInt32(left * 1_000_000) + 1))
                pause = min(pause * 2, 20_000)
            }
            if Self.names(path, fd) {
                descriptor = fd
                return
            }
            // The file was deleted or replaced while we waited: that lock excludes nobody.
            close(fd)
        }
    }

    private static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// Opens (creating, mode 0600 whatever the umask) the lock file. A shared lock falls back to
    /// opening it read-only, and to no lock at all when it cannot exist (read-only file system).
    private static func openLockFile(_ path: String, mode: Mode) throws(KeystoreError) -> Int32? {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0o600)
        if fd >= 0 {
            var st = stat()
            if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) != S_IFREG {
                close(fd)
                throw KeystoreError.notRegularFile(path: path, kind: AtomicFile.describe(st.st_mode & S_IFMT))
            }
            if (st.st_mode & 0o777) != 0o600, st.st_uid == geteuid() { fchmod(fd, 0o600) }
            return fd
        }
        let code = errno
        guard mode == .shared, code == EROFS || code == EACCES || code == EPERM else {
            throw KeystoreError.io(path: path, operation: "open lock file", errno: code)
        }
        let readOnly = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if readOnly >= 0 { return readOnly }
        if errno == ENOENT { return nil }
        throw KeystoreError.io(path: path, operation: "open lock file", errno: errno)
    }

    private static func names(_ path: String, _ fd: Int32) -> Bool {
        var held = stat(), current = stat()
        guard fstat(fd, &held) == 0, stat(path, &current) == 0 else { return false }
        return held.st_dev == current.st_dev && held.st_ino == current.st_ino
    }

    /// Whether the locked file is still the one at the path (no one deleted or replaced it).
    var isCurrent: Bool { descriptor < 0 || Self.names(path, descriptor) }

    /// Releases the lock now rather than when the object goes.
    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit {
        release()
    }
}
