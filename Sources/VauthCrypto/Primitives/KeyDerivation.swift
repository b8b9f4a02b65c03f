import COpenSSL

/// Key derivation functions: scrypt for passphrases (RFC 7914), HKDF-SHA-256 (RFC 5869) for
/// subkeys, PBKDF2-HMAC-SHA-256 (RFC 8018) where a protocol prescribes it (Dfns recovery codes).
public enum KeyDerivation {
    /// scrypt parameters. N = 2^17, r = 8, p = 1 is the OWASP recommendation and costs 128 MiB.
    public struct ScryptParameters: Sendable, Equatable {
        public var log2N: UInt8
        public var r: UInt32
        public var p: UInt32

        public init(log2N: UInt8, r: UInt32, p: UInt32) {
            self.log2N = log2N
            self.r = r
            self.p = p
        }

        public static let interactive = ScryptParameters(log2N: 17, r: 8, p: 1)

        /// Memory scrypt needs: 128 · N · r · p bytes, plus slack. OpenSSL refuses N = 2^17 with
        /// its default `maxmem` of 32 MiB, so the bound is passed explicitly.
        var memoryBound: UInt64 { 128 * (UInt64(1) << log2N) * UInt64(r) * UInt64(p) + (1 << 24) }

        /// Bounds that keep a hostile file from asking for terabytes or hours.
        public var isReasonable: Bool { (10...22).contains(log2N) && (1...32).contains(r) && (1...16).contains(p) }
    }

    /// scrypt of a passphrase.
    public static func scrypt(passphrase: SecretBytes, salt: [UInt8], parameters: ScryptParameters, length: Int = 32) throws(CryptoError) -> SecretBytes {
        guard parameters.isReasonable else { throw CryptoError.invalidInput("scrypt parameters out of range") }
        return try SecretBytes(count: length) { (out) throws(CryptoError) in
            try passphrase.withUnsafeBytes { (pass) throws(CryptoError) in
                let ok = EVP_PBE_scrypt(pass.baseAddress?.assumingMemoryBound(to: CChar.self), pass.count, salt, salt.count,
                                        UInt64(1) << parameters.log2N, UInt64(parameters.r), UInt64(parameters.p),
                                        parameters.memoryBound, out.baseAddress?.assumingMemoryBound(to: UInt8.self), length)
                try check(ok, "EVP_PBE_scrypt")
            }
        }
    }

    /// HKDF-SHA-256 extract-and-expand.
    public static func hkdfSHA256(key: SecretBytes, salt: [UInt8], info: [UInt8], length: Int) throws(CryptoError) -> SecretBytes {
        let ctx = try unwrap(EVP_PKEY_CTX_new_id(NID_hkdf, nil), "EVP_PKEY_CTX_new_id(HKDF)")
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init")
        try check(EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()), "EVP_PKEY_CTX_set_hkdf_md")
        // An empty salt means HashLen zero bytes (RFC 5869 §2.2); OpenSSL wants that spelled out.
        let effectiveSalt = salt.isEmpty ? [UInt8](repeating: 0, count: 32) : salt
        try check(EVP_PKEY_CTX_set1_hkdf_salt(ctx, effectiveSalt, Int32(effectiveSalt.count)), "EVP_PKEY_CTX_set1_hkdf_salt")
        try key.withUnsafeBytes { (k) throws(CryptoError) in
            try check(EVP_PKEY_CTX_set1_hkdf_key(ctx, k.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(k.count)), "EVP_PKEY_CTX_set1_hkdf_key")
        }
        if !info.isEmpty {
            try check(EVP_PKEY_CTX_add1_hkdf_info(ctx, info, Int32(info.count)), "EVP_PKEY_CTX_add1_hkdf_info")
        }
        return try SecretBytes(count: length) { (out) throws(CryptoError) in
            var outLength = length
            try check(EVP_PKEY_derive(ctx, out.baseAddress?.assumingMemoryBound(to: UInt8.self), &outLength), "EVP_PKEY_derive(HKDF)")
        }
    }

    /// PBKDF2-HMAC-SHA-256.
    public static func pbkdf2SHA256(password: SecretBytes, salt: [UInt8], iterations: Int, length: Int) throws(CryptoError) -> SecretBytes {
        try SecretBytes(count: length) { (out) throws(CryptoError) in
            try password.withUnsafeBytes { (pass) throws(CryptoError) in
                try check(PKCS5_PBKDF2_HMAC(pass.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(pass.count), salt, Int32(salt.count),
                                            Int32(iterations), EVP_sha256(), Int32(length), out.baseAddress?.assumingMemoryBound(to: UInt8.self)),
                          "PKCS5_PBKDF2_HMAC")
            }
        }
    }
}
