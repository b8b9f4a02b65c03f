#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import VauthCrypto

/// The keys of an open keystore and sealing with them.
///
/// Envelope encryption: the passphrase (scrypt) or key file gives the key-encryption key (KEK),
/// which wraps a random data key (DEK). Sections are sealed under HKDF subkeys of the DEK, one
/// per purpose, so no key is used in two roles.
struct KeystoreKeys {
    let dek: SecretBytes
    let sectionKey: SecretBytes
    let counterKey: SecretBytes

    init(dek: SecretBytes, keystoreId: [UInt8]) throws(KeystoreError) {
        self.dek = dek
        do {
            sectionKey = try KeyDerivation.hkdfSHA256(key: dek, salt: keystoreId, info: Array("vauth keystore v1 sections".utf8), length: 32)
            counterKey = try KeyDerivation.hkdfSHA256(key: dek, salt: keystoreId, info: Array("vauth keystore v1 counters".utf8), length: 32)
        } catch {
            throw KeystoreError.crypto("\(error)")
        }
    }

    /// A new header (fresh salt, the KDF the unlock method implies), a new random data key wrapped
    /// under it, and the keys derived from it: what a new keystore and `passwd` both start from.
    static func fresh(unlock: KeystoreUnlock, scrypt: KeyDerivation.ScryptParameters, keystoreId: [UInt8],
                      path: String) throws(KeystoreError) -> (header: KeystoreFormat.Header, keys: KeystoreKeys, dekWrap: [UInt8]) {
        do {
            let header = KeystoreFormat.Header(kdf: unlock.usesKeyFile ? .rawKey : .scrypt,
                                               scrypt: unlock.usesKeyFile ? .init(log2N: 0, r: 0, p: 0) : scrypt,
                                               salt: try SecureRandom.bytes(32), keystoreId: keystoreId)
            let dek = try SecretBytes(randomCount: 32)
            let kek = try keyEncryptionKey(header: header, unlock: unlock, path: path)
            return (header, try KeystoreKeys(dek: dek, keystoreId: keystoreId), try wrap(dek: dek, kek: kek, header: header))
        } catch let error as KeystoreError {
            throw error
        } catch {
            throw KeystoreError.crypto("\(error)")
        }
    }

    /// The KEK for a header and unlock method. The KDF must match how the keystore was made.
    static func keyEncryptionKey(header: KeystoreFormat.Header, unlock: KeystoreUnlock, path: String) throws(KeystoreError) -> SecretBytes {
        switch (header.kdf, unlock) {
        case (.rawKey, .keyFile(let key)):
            return key
        case (.scrypt, .passphrase(let passphrase)):
            do {
                return try KeyDerivation.scrypt(passphrase: passphrase, salt: header.salt, parameters: header.scrypt)
            } catch {
                throw KeystoreError.crypto("scrypt: \(error)")
            }
        case (.rawKey, .passphrase):
            throw KeystoreError.unlockMismatch(path: path, keystoreUsesKeyFile: true)
        case (.scrypt, .keyFile):
            throw KeystoreError.unlockMismatch(path: path, keystoreUsesKeyFile: false)
        }
    }

    static func wrap(dek: SecretBytes, kek: SecretBytes, header: KeystoreFormat.Header) throws(KeystoreError) -> [UInt8] {
        try seal(dek, key: kek, associatedData: header.bytes)
    }

    static func unwrap(_ wrapped: [UInt8], kek: SecretBytes, header: KeystoreFormat.Header, unlock: KeystoreUnlock,
                       path: String) throws(KeystoreError) -> SecretBytes {
        do {
            let dek = try open(wrapped, key: kek, associatedData: header.bytes)
            guard dek.count == 32 else { throw KeystoreError.corruptHeader(path: path, reason: "data key has the wrong size") }
            return dek
        } catch CryptoError.authenticationFailed {
            if case .keyFile = unlock { throw KeystoreError.wrongPassphrase(path: path, usingKeyFile: true) }
            throw KeystoreError.wrongPassphrase(path: path, usingKeyFile: false)
        } catch let error as KeystoreError {
            throw error
        } catch {
            throw KeystoreError.crypto("\(error)")
        }
    }

    /// nonce[12] ‖ ciphertext ‖ tag[16], with a fresh random nonce.
    static func seal(_ plaintext: [UInt8], key: SecretBytes, associatedData: [UInt8]) throws(KeystoreError) -> [UInt8] {
        try seal(SecretBytes(plaintext), key: key, associatedData: associatedData)
    }

    /// The same for a secret, sealed from its own storage.
    static func seal(_ plaintext: SecretBytes, key: SecretBytes, associatedData: [UInt8]) throws(KeystoreError) -> [UInt8] {
        do {
            let nonce = try SecureRandom.bytes(AESGCM.nonceByteCount)
            let sealed = try AESGCM.seal(plaintext, key: key, nonce: nonce, associatedData: associatedData)
            return nonce + sealed.ciphertext + sealed.tag
        } catch {
            throw KeystoreError.crypto("seal: \(error)")
        }
    }

    /// Opens what ``seal(_:key:associatedData:)`` made. Throws `CryptoError.authenticationFailed`
    /// (which callers turn into `.tampered` naming the section) on any change.
    static func open(_ box: some Collection<UInt8>, key: SecretBytes, associatedData: [UInt8]) throws(CryptoError) -> SecretBytes {
        let bytes = Array(box)
        guard bytes.count >= AESGCM.nonceByteCount + AESGCM.tagByteCount else { throw CryptoError.authenticationFailed }
        let nonce = Array(bytes[0..<AESGCM.nonceByteCount])
        let ciphertext = Array(bytes[AESGCM.nonceByteCount..<(bytes.count - AESGCM.tagByteCount)])
        let tag = Array(bytes.suffix(AESGCM.tagByteCount))
        return try AESGCM.open(.init(ciphertext: ciphertext, tag: tag), key: key, nonce: nonce, associatedData: associatedData)
    }

    /// The tag of a sealed box: its last 16 bytes. The index keeps each record's tag, so a record
    /// swapped for an older copy of itself is caught.
    static func tag(of box: [UInt8]) -> [UInt8] { Array(box.suffix(AESGCM.tagByteCount)) }
}

/// How a keystore is unlocked.
public enum KeystoreUnlock: Sendable {
    /// A passphrase, stretched with scrypt.
    case passphrase(SecretBytes)
    /// A raw 32-byte key used directly as the KEK (CI machines: `--key-file`, `VAUTH_KEY_FILE`).
    case keyFile(SecretBytes)

    /// A passphrase from text. One trailing newline (as `echo` and editors leave) is dropped;
    /// an empty passphrase is refused.
    public static func passphrase(text: some Collection<UInt8>) throws(KeystoreError) -> KeystoreUnlock {
        var bytes = Array(text)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard !bytes.isEmpty else { throw KeystoreError.invalidPassphrase(reason: "empty passphrase") }
        return .passphrase(SecretBytes(bytes))
    }

    /// Reads a key file: exactly 32 raw bytes, or 64 hexadecimal digits (a trailing newline allowed).
    public static func keyFile(path: String) throws(KeystoreError) -> KeystoreUnlock {
        var bytes: [UInt8]
        do { bytes = try WholeFile.read(path, limit: 4096) } catch {
            switch error {
            case .io(_, _, ENOENT): throw KeystoreError.invalidKeyFile(path: path, reason: "no such file")
            case .io(_, let operation, let code): throw KeystoreError.invalidKeyFile(path: path, reason: "cannot \(operation): \(String(cString: strerror(code)))")
            case .notRegularFile(_, let kind): throw KeystoreError.invalidKeyFile(path: path, reason: "is \(kind), not a file")
            default: throw error
            }
        }
        let found = bytes.count
        defer { for i in bytes.indices { bytes[i] = 0 } }
        if bytes.count == 32 { return .keyFile(SecretBytes(bytes)) }
        while let last = bytes.last, last == UInt8(ascii: "\n") || last == UInt8(ascii: "\r") { bytes.removeLast() }
        if bytes.count == 64, let key = Hex.decode(String(decoding: bytes, as: UTF8.self)) {
            return .keyFile(SecretBytes(key))
        }
        throw KeystoreError.invalidKeyFile(path: path, reason: "must hold exactly 32 raw bytes or 64 hex digits (found \(found) bytes)")
    }

    var usesKeyFile: Bool {
        if case .keyFile = self { return true }
        return false
    }
}
