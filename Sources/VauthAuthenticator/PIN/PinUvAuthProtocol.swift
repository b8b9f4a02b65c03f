import VauthCrypto

/// PIN/UV auth protocols one and two (CTAP 2.2 §6.5.6, §6.5.7): ECDH on P-256 to agree a shared
/// secret between platform and authenticator, then AES-256-CBC and HMAC-SHA-256 under it.
/// hmac-secret uses them to carry salts and outputs (§12.5).
public enum PinUvAuthProtocol: Int, Sendable, CaseIterable {
    case one = 1
    case two = 2

    /// The shared secret derived from ECDH output Z (the x-coordinate).
    public struct SharedSecret: Sendable {
        public let pinUvAuthProtocol: PinUvAuthProtocol
        /// Protocol 1: SHA-256(Z). Protocol 2: HMAC key (32) ‖ AES key (32).
        let bytes: SecretBytes

        var hmacKey: SecretBytes {
            switch pinUvAuthProtocol {
            case .one: return bytes
            case .two: return bytes.slice(0..<32)
            }
        }

        var aesKey: SecretBytes {
            switch pinUvAuthProtocol {
            case .one: return bytes
            case .two: return bytes.slice(32..<64)
            }
        }

        /// encrypt(key, demPlaintext): protocol 1 uses an all-zero IV; protocol 2 a random IV that
        /// it prepends to the ciphertext.
        public func encrypt(_ plaintext: [UInt8]) throws(CryptoError) -> [UInt8] {
            switch pinUvAuthProtocol {
            case .one:
                return try AESCBC.encrypt(plaintext, key: aesKey, iv: [UInt8](repeating: 0, count: 16))
            case .two:
                let iv = try SecureRandom.bytes(16)
                return iv + (try AESCBC.encrypt(plaintext, key: aesKey, iv: iv))
            }
        }

        public func decrypt(_ ciphertext: [UInt8]) throws(CryptoError) -> SecretBytes {
            switch pinUvAuthProtocol {
            case .one:
                return try AESCBC.decrypt(ciphertext, key: aesKey, iv: [UInt8](repeating: 0, count: 16))
            case .two:
                guard ciphertext.count >= 16 else { throw CryptoError.invalidInput("protocol 2 ciphertext shorter than its IV") }
                return try AESCBC.decrypt(ciphertext.dropFirst(16), key: aesKey, iv: Array(ciphertext.prefix(16)))
            }
        }

        /// authenticate(key, message): HMAC-SHA-256, truncated to 16 bytes in protocol 1.
        public func authenticate(_ message: [UInt8]) -> [UInt8] {
            let mac = hmacKey.withUnsafeBytes { HMACSHA256.authenticate(message, key: $0) }
            return pinUvAuthProtocol == .one ? Array(mac.prefix(16)) : mac
        }

        /// Constant-time check of a value made by ``authenticate(_:)``.
        public func verify(_ message: [UInt8], signature: [UInt8]) -> Bool {
            let expected = authenticate(message)
            guard expected.count == signature.count else { return false }
            return SecretBytes(expected).constantTimeEquals(SecretBytes(signature))
        }
    }

    /// kdf(Z): SHA-256(Z) for protocol 1; for protocol 2, HKDF-SHA-256 with a zero salt and the
    /// infos "CTAP2 HMAC key" and "CTAP2 AES key".
    public func sharedSecret(fromZ z: SecretBytes) throws(CryptoError) -> SharedSecret {
        switch self {
        case .one:
            return SharedSecret(pinUvAuthProtocol: self, bytes: SecretBytes(z.withUnsafeBytes { SHA256.hash($0) }))
        case .two:
            let salt = [UInt8](repeating: 0, count: 32)
            let hmac = try KeyDerivation.hkdfSHA256(key: z, salt: salt, info: Array("CTAP2 HMAC key".utf8), length: 32)
            let aes = try KeyDerivation.hkdfSHA256(key: z, salt: salt, info: Array("CTAP2 AES key".utf8), length: 32)
            return SharedSecret(pinUvAuthProtocol: self, bytes: hmac.appending(aes))
        }
    }

    /// The platform's side (CTAP 2.2 §6.5.6 `encapsulate`): a fresh key pair, the public half to
    /// send, and the shared secret with the authenticator's key agreement key.
    public func encapsulate(authenticatorKey: COSEKey) throws(CryptoError) -> (platformKey: COSEKey, sharedSecret: SharedSecret) {
        let ephemeral = try KeyAgreementKey.generate()
        let z = try ephemeral.sharedSecret(with: authenticatorKey)
        return (try ephemeral.coseKey(), try sharedSecret(fromZ: z))
    }
}
