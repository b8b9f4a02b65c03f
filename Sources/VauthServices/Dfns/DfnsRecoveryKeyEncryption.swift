import Foundation
import VauthCrypto
import VauthWebAuthn

/// `encryptedPrivateKey` of a RecoveryKey credential, the SDK's algorithm (contract: "Recovery
/// credential"): salt = SHA-256(lowercase(trim(username))), key = PBKDF2-HMAC-SHA256(code, salt,
/// 100 000, 32 bytes), AES-256-GCM with a 16-byte IV over the PKCS#8 DER of the key, sent as
/// base64 of the JSON `{"key": base64(ciphertext ‖ tag), "iv": base64(iv)}`.
public enum DfnsRecoveryKeyEncryption {
    public static let iterations = 100_000
    public static let ivByteCount = 16

    /// The salt: the username as the service knows it, so the same code opens the key only for
    /// that user.
    public static func salt(username: String) -> [UInt8] {
        SHA256.hash(Array(username.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().utf8))
    }

    static func key(code: DfnsRecoveryCode, username: String) throws(CryptoError) -> SecretBytes {
        try KeyDerivation.pbkdf2SHA256(password: code.text, salt: salt(username: username), iterations: iterations,
                                       length: AESGCM.keyByteCount)
    }

    /// Encrypts the PKCS#8 of a recovery key under the code and username.
    public static func encrypt(pkcs8: SecretBytes, code: DfnsRecoveryCode, username: String) throws -> String {
        let iv = try SecureRandom.bytes(ivByteCount)
        let sealed = try AESGCM.seal(pkcs8, key: try key(code: code, username: username), nonce: iv)
        let document: JSONValue = ["key": .string(Base64.encode(sealed.ciphertext + sealed.tag)), "iv": .string(Base64.encode(iv))]
        return Base64.encode(Array(document.serialized(.compact).utf8))
    }

    /// Opens an `encryptedPrivateKey` / `encryptedRecoveryKey` and parses the key inside. The key
    /// exists only in memory: it is returned to sign one recovery and never stored.
    public static func decrypt(_ encrypted: String, code: DfnsRecoveryCode, username: String) throws(DfnsError) -> SigningKey {
        guard let outer = Base64.decode(encrypted), let document = try? JSONParser.parse(outer),
              let keyText = document["key"]?.stringValue, let ivText = document["iv"]?.stringValue,
              let sealedBytes = Base64.decode(keyText), let iv = Base64.decode(ivText) else {
            throw .malformed("encryptedRecoveryKey is not base64 of {\"key\": base64, \"iv\": base64}")
        }
        guard iv.count == ivByteCount, sealedBytes.count > AESGCM.tagByteCount else {
            throw .malformed("encryptedRecoveryKey has a \(iv.count)-byte IV and \(sealedBytes.count) sealed bytes "
                             + "(want a \(ivByteCount)-byte IV and ciphertext plus a 16-byte tag)")
        }
        let sealed = AESGCM.Sealed(ciphertext: Array(sealedBytes.dropLast(AESGCM.tagByteCount)),
                                   tag: Array(sealedBytes.suffix(AESGCM.tagByteCount)))
        let pkcs8: SecretBytes
        do {
            pkcs8 = try AESGCM.open(sealed, key: try key(code: code, username: username), nonce: iv)
        } catch {
            throw .recoveryKeyNotOpened("the recovery code and username \"\(username)\" do not decrypt the recovery key "
                                        + "(wrong code, wrong username, or a changed encryptedRecoveryKey)")
        }
        do {
            return try pkcs8.withUnsafeBytes { (der) throws(CryptoError) in try SigningKey(pkcs8DER: der) }
        } catch {
            throw .malformed("the decrypted recovery key is not a PKCS#8 private key: \(error)")
        }
    }
}
