import COpenSSL

/// A signing key's OpenSSL context, set up once and reused for every signature.
///
/// Setting up a context (`EVP_DigestSignInit`: fetch the algorithm, make its state, fetch and
/// initialise the digest) costs about as much as a P-256 signature. So ECDSA and RSA hash once and
/// sign the digest with a kept `EVP_PKEY_CTX` (`EVP_PKEY_sign`), and Ed25519 keeps an initialised
/// `EVP_MD_CTX` for one-shot `EVP_DigestSign` — the loops `openssl speed` runs.
///
/// A context is not thread-safe, so callers borrow it: the idle one if there is one, else a new
/// one; a borrowed context comes back afterwards unless another already has.
final class SigningContext: @unchecked Sendable {
    private let key: EVPKey
    private let algorithm: COSEAlgorithm
    /// `EVP_MD_CTX *` for Ed25519, `EVP_PKEY_CTX *` otherwise; guarded by `lock`.
    private var idle: OpaquePointer?
    private let lock: UnsafeMutableRawPointer
    let maxSignatureLength: Int

    init(key: EVPKey, algorithm: COSEAlgorithm) throws(CryptoError) {
        self.key = key
        self.algorithm = algorithm
        lock = try unwrap(CRYPTO_THREAD_lock_new(), "CRYPTO_THREAD_lock_new")
        maxSignatureLength = Int(EVP_PKEY_get_size(key.pointer))
    }

    deinit {
        if let idle { free(idle) }
        CRYPTO_THREAD_lock_free(lock)
    }

    /// Signs `message` (ECDSA-SHA256 DER, Ed25519, RSASSA-PKCS1-v1_5-SHA256).
    func sign(_ message: UnsafeRawBufferPointer) throws(CryptoError) -> [UInt8] {
        let ctx = try borrow()
        var signature = [UInt8](repeating: 0, count: maxSignatureLength)
        var length = signature.count
        let result: Int32
        if algorithm == .edDSA {
            result = EVP_DigestSign(ctx, &signature, &length, message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count)
        } else {
            var digest = SHA256.hash(message)
            result = EVP_PKEY_sign(ctx, &signature, &length, &digest, digest.count)
        }
        guard result == 1 else {
            free(ctx)
            throw CryptoError.openSSL(algorithm == .edDSA ? "EVP_DigestSign" : "EVP_PKEY_sign")
        }
        giveBack(ctx)
        signature.removeLast(signature.count - length)
        return signature
    }

    private func borrow() throws(CryptoError) -> OpaquePointer {
        CRYPTO_THREAD_write_lock(lock)
        let taken = idle
        idle = nil
        CRYPTO_THREAD_unlock(lock)
        if let taken { return taken }
        return try make()
    }

    private func giveBack(_ ctx: OpaquePointer) {
        CRYPTO_THREAD_write_lock(lock)
        let keep = idle == nil
        if keep { idle = ctx }
        CRYPTO_THREAD_unlock(lock)
        if !keep { free(ctx) }
    }

    private func make() throws(CryptoError) -> OpaquePointer {
        if algorithm == .edDSA {
            let ctx = try unwrap(EVP_MD_CTX_new(), "EVP_MD_CTX_new")
            // Ed25519 hashes internally (RFC 8032), so it takes no digest.
            guard EVP_DigestSignInit(ctx, nil, nil, nil, key.pointer) == 1 else {
                EVP_MD_CTX_free(ctx)
                throw CryptoError.openSSL("EVP_DigestSignInit")
            }
            return ctx
        }
        let ctx = try unwrap(EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil), "EVP_PKEY_CTX_new_from_pkey")
        guard EVP_PKEY_sign_init(ctx) == 1, EVP_PKEY_CTX_set_signature_md(ctx, Digests.shared.sha256) == 1 else {
            EVP_PKEY_CTX_free(ctx)
            throw CryptoError.openSSL("EVP_PKEY_sign_init")
        }
        return ctx
    }

    private func free(_ ctx: OpaquePointer) {
        if algorithm == .edDSA { EVP_MD_CTX_free(ctx) } else { EVP_PKEY_CTX_free(ctx) }
    }
}

/// Digest implementations fetched once per process: the by-name lookup behind `EVP_sha256()` in
/// OpenSSL 3 (an implicit fetch) is repeated on every use otherwise.
final class Digests: @unchecked Sendable {
    static let shared = Digests()
    let sha256: OpaquePointer = EVP_MD_fetch(nil, "SHA256", nil)!
}
