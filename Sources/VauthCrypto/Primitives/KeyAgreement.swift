import COpenSSL

/// An ephemeral P-256 key for ECDH, as the PIN/UV auth protocols use it (CTAP 2.2 §6.5.6): the
/// authenticator's `getKeyAgreement` key and the platform's key in `hmac-secret`.
public final class KeyAgreementKey: @unchecked Sendable {
    let key: EVPKey

    private init(key: EVPKey) { self.key = key }

    public static func generate() throws(CryptoError) -> KeyAgreementKey {
        KeyAgreementKey(key: try SigningKey.generate(.es256).key)
    }

    /// The public key as CTAP sends it: EC2, P-256, alg -25 (ECDH-ES+HKDF-256).
    public func coseKey() throws(CryptoError) -> COSEKey {
        guard case .ec2(_, let crv, let x, let y) = try PublicKey(key: key, algorithm: .es256).coseKey() else {
            throw CryptoError.invalidKey("key agreement key is not EC2")
        }
        return .ec2(algorithm: COSEKey.ecdhESHKDF256, curve: crv, x: x, y: y)
    }

    /// The ECDH shared point's x-coordinate Z with the peer's public key (SP 800-56A).
    public func sharedSecret(with peer: COSEKey) throws(CryptoError) -> SecretBytes {
        guard case .ec2(_, _, let x, let y) = peer else { throw CryptoError.invalidKey("key agreement peer key is not EC2 P-256") }
        let peerKey = try EVPKey.fromSPKI(SPKIPrefix.p256 + [0x04] + x + y)
        let ctx = try unwrap(EVP_PKEY_CTX_new(key.pointer, nil), "EVP_PKEY_CTX_new")
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init")
        try check(EVP_PKEY_derive_set_peer(ctx, peerKey.pointer), "EVP_PKEY_derive_set_peer")
        var length = 0
        try check(EVP_PKEY_derive(ctx, nil, &length), "EVP_PKEY_derive")
        return try SecretBytes(count: length) { (out) throws(CryptoError) in
            var written = length
            try check(EVP_PKEY_derive(ctx, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &written), "EVP_PKEY_derive")
        }
    }
}

/// AES-256-CBC without padding, the cipher of PIN/UV auth protocols 1 and 2 (CTAP 2.2 §6.5.6, §6.5.7).
public enum AESCBC {
    public static func encrypt(_ plaintext: some Collection<UInt8>, key: SecretBytes, iv: [UInt8]) throws(CryptoError) -> [UInt8] {
        try run(Array(plaintext), key: key, iv: iv, encrypt: true).exposedCopy()
    }

    public static func decrypt(_ ciphertext: some Collection<UInt8>, key: SecretBytes, iv: [UInt8]) throws(CryptoError) -> SecretBytes {
        try run(Array(ciphertext), key: key, iv: iv, encrypt: false)
    }

    private static func run(_ input: [UInt8], key: SecretBytes, iv: [UInt8], encrypt: Bool) throws(CryptoError) -> SecretBytes {
        guard key.count == 32, iv.count == 16 else { throw CryptoError.invalidInput("AES-256-CBC needs a 32-byte key and 16-byte IV") }
        guard input.count % 16 == 0 else { throw CryptoError.invalidInput("AES-CBC input is not a whole number of blocks") }
        let ctx = try unwrap(EVP_CIPHER_CTX_new(), "EVP_CIPHER_CTX_new")
        defer { EVP_CIPHER_CTX_free(ctx) }
        try key.withUnsafeBytes { (k) throws(CryptoError) in
            try check(EVP_CipherInit_ex(ctx, EVP_aes_256_cbc(), nil, k.baseAddress?.assumingMemoryBound(to: UInt8.self), iv, encrypt ? 1 : 0),
                      "EVP_CipherInit_ex")
        }
        try check(EVP_CIPHER_CTX_set_padding(ctx, 0), "EVP_CIPHER_CTX_set_padding")
        return try SecretBytes(count: input.count) { (out) throws(CryptoError) in
            var written: Int32 = 0
            let base = out.baseAddress?.assumingMemoryBound(to: UInt8.self)
            if !input.isEmpty {
                try check(EVP_CipherUpdate(ctx, base, &written, input, Int32(input.count)), "EVP_CipherUpdate")
            }
            var scratch = [UInt8](repeating: 0, count: 16)
            var tail: Int32 = 0
            try check(EVP_CipherFinal_ex(ctx, &scratch, &tail), "EVP_CipherFinal_ex")
        }
    }
}
