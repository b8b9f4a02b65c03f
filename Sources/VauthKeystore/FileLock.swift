#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An advisory lock (`flock`) on `<keystore>.lock`, which serialises writers across processes.
///
/// The lock lives on its own file because the keystore itself is replaced by rename on every
/// write: a lock on the old inode would not exclude a process that opened the new one.
final class FileLock {
    enum Mode { case shared, exclusive }

    private var descriptor: Int32

    /// Takes the lock, waiting up to `timeout` seconds for another holder to finish. `flock` locks
    /// belong to an open file description, so a second lock in the same process waits like any
    /// other: one open ``KeystoreFile`` per keystore per process.
    init(path: String, mode: Mode, timeout: Double = 30, keystorePath: String) throws(KeystoreError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw KeystoreError.io(path: path, operation: "open lock file", errno: errno) }
        let operation = (mode == .shared ? LOCK_SH : LOCK_EX) | LOCK_NB
        var waited = 0.0
        while flock(fd, operation) != 0 {
            let code = errno
            guard code == EWOULDBLOCK || code == EINTR else {
                close(fd)
                throw KeystoreError.io(path: path, operation: "flock", errno: code)
            }
            guard waited < timeout else {
                close(fd)
                throw KeystoreError.locked(path: keystorePath)
            }
            usleep(5_000)
            waited += 0.005
        }
        descriptor = fd
    }

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
