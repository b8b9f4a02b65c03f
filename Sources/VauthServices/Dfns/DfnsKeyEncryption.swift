import Foundation
import VauthCrypto
import VauthWebAuthn

/// The SDK's password-based key encryption (contract, docs/services/dfns.md: "Recovery
/// credential"): salt = SHA-256(lowercase(trim(username))), key = PBKDF2-HMAC-SHA256(secret, salt,
/// 100 000, 32 bytes), AES-256-GCM with a 16-byte IV over the PKCS#8 DER of the key, sent as base64
/// of the JSON `{"key": base64(ciphertext ‖ tag), "iv": base64(iv)}`.
///
/// A RecoveryKey's `encryptedPrivateKey` is made with the recovery code as the secret; a
/// PasswordProtectedKey's with the user's password (the SDK's recovery worker is its only
/// password-based key encryption; "Password-protected key" in the contract).
public enum DfnsKeyEncryption {
    public static let iterations = 100_000
    public static let ivByteCount = 16

    /// What a key is encrypted under.
    public enum Secret: Sendable {
        case recoveryCode(DfnsRecoveryCode)
        case password(DfnsPassword)

        var bytes: SecretBytes {
            switch self {
            case .recoveryCode(let code): return code.text
            case .password(let password): return password.bytes
            }
        }

        /// The key's and the secret's names in messages.
        var words: (key: String, secret: String, field: String) {
            switch self {
            case .recoveryCode: return ("recovery key", "recovery code", "encryptedRecoveryKey")
            case .password: return ("password-protected key", "password", "encryptedPrivateKey")
            }
        }
    }

    /// The salt: the username as the service knows it, so the same secret opens the key only for
    /// that user.
    public static func salt(username: String) -> [UInt8] {
        SHA256.hash(Array(username.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().utf8))
    }

    static func key(_ secret: Secret, username: String) throws(CryptoError) -> SecretBytes {
        try KeyDerivation.pbkdf2SHA256(password: secret.bytes, salt: salt(username: username), iterations: iterations,
                                       length: AESGCM.keyByteCount)
    }

    /// Encrypts the PKCS#8 of a key under the secret and username.
    public static func encrypt(pkcs8: SecretBytes, under secret: Secret, username: String) throws -> String {
        let iv = try SecureRandom.bytes(ivByteCount)
        let sealed = try AESGCM.seal(pkcs8, key: try key(secret, username: username), nonce: iv)
        let document: JSONValue = ["key": .string(Base64.encode(sealed.ciphertext + sealed.tag)), "iv": .string(Base64.encode(iv))]
        return Base64.encode(Array(document.serialized(.compact).utf8))
    }

    /// Opens an `encryptedPrivateKey` / `encryptedRecoveryKey` and parses the key inside. The key
    /// exists only in memory: it is returned to sign once and never stored.
    public static func decrypt(_ encrypted: String, under secret: Secret, username: String) throws(DfnsError) -> SigningKey {
        let words = secret.words
        guard let outer = Base64.decode(encrypted), let document = try? JSONParser.parse(outer),
              let keyText = document["key"]?.stringValue, let ivText = document["iv"]?.stringValue,
              let sealedBytes = Base64.decode(keyText), let iv = Base64.decode(ivText) else {
            throw .malformed("\(words.field) is not base64 of {\"key\": base64, \"iv\": base64}")
        }
        guard iv.count == ivByteCount, sealedBytes.count > AESGCM.tagByteCount else {
            throw .malformed("\(words.field) has a \(iv.count)-byte IV and \(sealedBytes.count) sealed bytes "
                             + "(want a \(ivByteCount)-byte IV and ciphertext plus a 16-byte tag)")
        }
        let sealed = AESGCM.Sealed(ciphertext: Array(sealedBytes.dropLast(AESGCM.tagByteCount)),
                                   tag: Array(sealedBytes.suffix(AESGCM.tagByteCount)))
        let pkcs8: SecretBytes
        do {
            pkcs8 = try AESGCM.open(sealed, key: try key(secret, username: username), nonce: iv)
        } catch {
            throw .keyNotOpened("the \(words.secret) and username \"\(username)\" do not decrypt the \(words.key) "
                                + "(wrong \(words.secret), wrong username, or a changed \(words.field))")
        }
        do {
            return try pkcs8.withUnsafeBytes { (der) throws(CryptoError) in try SigningKey(pkcs8DER: der) }
        } catch {
            throw .malformed("the decrypted \(words.key) is not a PKCS#8 private key: \(error)")
        }
    }
}
