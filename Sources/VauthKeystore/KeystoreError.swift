/// The one error type of the keystore. Every case says what is wrong in one line, because the CLI
/// prints it as is; none carries secret material.
public enum KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No keystore at the path.
    case notFound(path: String)
    /// `vauth init` found one already.
    case alreadyExists(path: String)
    /// The file does not start with the keystore magic.
    case notAKeystore(path: String)
    /// A format version this vauth does not read.
    case unsupportedVersion(path: String, version: Int)
    /// The file is shorter than its own header says.
    case truncated(path: String, expected: Int, actual: Int)
    /// The plain header does not match its checksum, or describes an impossible layout.
    case corruptHeader(path: String, reason: String)
    /// The data key did not unwrap: wrong passphrase (or wrong key file).
    case wrongPassphrase(path: String, usingKeyFile: Bool)
    /// The keystore is protected one way and was opened the other.
    case unlockMismatch(path: String, keystoreUsesKeyFile: Bool)
    /// An authentication tag failed on data behind a correct key: the file was changed.
    case tampered(path: String, section: String)
    /// Something inside a section that decrypted fine does not parse (a bug or a format mismatch).
    case malformedSection(path: String, section: String, reason: String)
    /// An unusable key file.
    case invalidKeyFile(path: String, reason: String)
    /// An unusable passphrase.
    case invalidPassphrase(reason: String)
    /// Another process holds the lock for longer than we wait (``KeystoreLocking``).
    case locked(path: String, waited: Double)
    /// A setting from the environment that cannot be used.
    case invalidSetting(name: String, reason: String)
    /// A credential with a field over its ``RecordLimits`` bound: refused before anything is written.
    case recordTooLarge(id: String, field: String, size: Int, limit: Int)
    /// Credential records that cannot be read (each named by its id and what is wrong with it),
    /// where a command needs every record (`check`, `list`, `export`, `passwd`).
    case damagedRecords(path: String, records: [String])
    /// A credential id that is already present (import).
    case duplicateCredential(id: String)
    /// The keystore path (or a companion file) is not a regular file: a directory, a named pipe,
    /// a device, a symbolic link to nothing.
    case notRegularFile(path: String, kind: String)
    /// Another process replaced the keystore while this one held what it thought was the lock
    /// (the lock file was deleted): the change is refused rather than overwriting theirs.
    case changedConcurrently(path: String)
    /// A file system call failed.
    case io(path: String, operation: String, errno: Int32)
    /// OpenSSL failed where it should not (allocation, RNG).
    case crypto(String)

    public var description: String {
        switch self {
        case .notFound(let path): return "no keystore at \(path) (run `vauth init` or create a credential first)"
        case .alreadyExists(let path): return "a keystore already exists at \(path); refusing to overwrite it"
        case .notAKeystore(let path): return "\(path) is not a vauth keystore"
        case .unsupportedVersion(let path, let version): return "\(path) has keystore format version \(version); this vauth reads version \(KeystoreFormat.version)"
        case .truncated(let path, let expected, let actual): return "keystore \(path) is truncated: \(actual) bytes, expected \(expected)"
        case .corruptHeader(let path, let reason): return "keystore \(path) is corrupt: \(reason)"
        case .wrongPassphrase(let path, let keyFile):
            return keyFile ? "wrong key file for keystore \(path)" : "wrong passphrase for keystore \(path)"
        case .unlockMismatch(let path, let usesKeyFile):
            return usesKeyFile ? "keystore \(path) is protected by a key file, not a passphrase (use --key-file or VAUTH_KEY_FILE)"
                               : "keystore \(path) is protected by a passphrase, not a key file"
        case .tampered(let path, let section): return "keystore \(path) has been tampered with or is corrupt: \(section) failed authentication"
        case .malformedSection(let path, let section, let reason): return "keystore \(path) is corrupt: \(section): \(reason)"
        case .invalidKeyFile(let path, let reason): return "key file \(path): \(reason)"
        case .invalidPassphrase(let reason): return "passphrase: \(reason)"
        case .locked(let path, let waited):
            let seconds = waited == waited.rounded() ? String(Int(waited)) : String(waited)
            return "keystore \(path) is locked by another process (waited \(seconds) s; VAUTH_LOCK_TIMEOUT sets how long)"
        case .invalidSetting(let name, let reason): return "\(name) \(reason)"
        case .recordTooLarge(let id, let field, let size, let limit):
            return "credential \(id): \(field) is \(size) bytes; a keystore record holds at most \(limit)"
        case .damagedRecords(let path, let records):
            let listed = records.prefix(3).joined(separator: "; ") + (records.count > 3 ? "; and \(records.count - 3) more" : "")
            return "keystore \(path) has \(records.count) damaged credential record\(records.count == 1 ? "" : "s"): \(listed) (`vauth delete ID` removes one; the others are intact)"
        case .duplicateCredential(let id): return "credential \(id) is already in the keystore"
        case .notRegularFile(let path, let kind): return "\(path) is \(kind), not a regular file"
        case .changedConcurrently(let path):
            return "keystore \(path) was changed by another process while this one ran (its lock file was removed); nothing was written, try again"
        case .io(let path, let operation, let code): return "\(operation) \(path): \(String(cString: strerror(code)))"
        case .crypto(let what): return "crypto failure: \(what)"
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
