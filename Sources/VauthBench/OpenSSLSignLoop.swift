import COpenSSL
import VauthCrypto

/// OpenSSL's own signing loop, run in this process: the limit an authenticator's signature path is
/// measured against. It is what `openssl speed ecdsap256` / `ed25519` / `rsa2048` time — one key,
/// one context set up once, then only signatures of a fixed input (a 32-byte digest for ECDSA and
/// RSA, the 69 bytes of authenticatorData ‖ clientDataHash for Ed25519, which hashes internally).
final class OpenSSLSignLoop {
    private let pkey: OpaquePointer
    private let pkeyContext: OpaquePointer?
    private let mdContext: OpaquePointer?
    private let isEdDSA: Bool
    private var signature = [UInt8](repeating: 0, count: 512)
    private var digest = [UInt8](repeating: 0x5a, count: 32)
    private var message = [UInt8](repeating: 0x5a, count: 69)

    init(typeName: String) throws {
        let ctx = EVP_PKEY_CTX_new_from_name(nil, typeName, nil)
        guard let ctx else { throw BenchmarkError("EVP_PKEY_CTX_new_from_name(\(typeName))") }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw BenchmarkError("EVP_PKEY_keygen_init") }
        if typeName == "EC" { _ = EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx, NID_X9_62_prime256v1) }
        if typeName == "RSA" { _ = EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &key) == 1, let key else { throw BenchmarkError("EVP_PKEY_generate(\(typeName))") }
        pkey = key
        isEdDSA = typeName == "ED25519"
        if isEdDSA {
            mdContext = EVP_MD_CTX_new()
            pkeyContext = nil
            guard EVP_DigestSignInit(mdContext, nil, nil, nil, pkey) == 1 else { throw BenchmarkError("EVP_DigestSignInit") }
        } else {
            mdContext = nil
            pkeyContext = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil)
            guard EVP_PKEY_sign_init(pkeyContext) == 1, EVP_PKEY_CTX_set_signature_md(pkeyContext, EVP_sha256()) == 1 else {
                throw BenchmarkError("EVP_PKEY_sign_init")
            }
        }
    }

    deinit {
        if let pkeyContext { EVP_PKEY_CTX_free(pkeyContext) }
        if let mdContext { EVP_MD_CTX_free(mdContext) }
        EVP_PKEY_free(pkey)
    }

    /// OpenSSL's key type name for a COSE algorithm.
    static func typeName(_ algorithm: COSEAlgorithm) -> String {
        switch algorithm {
        case .es256: return "EC"
        case .edDSA: return "ED25519"
        case .rs256: return "RSA"
        }
    }

    /// One signature.
    func sign() throws {
        var length = signature.count
        let ok = isEdDSA
            ? EVP_DigestSign(mdContext, &signature, &length, message, message.count)
            : EVP_PKEY_sign(pkeyContext, &signature, &length, digest, digest.count)
        guard ok == 1 else { throw BenchmarkError("OpenSSL sign failed") }
    }
}

/// OpenSSL generating key pairs of one type in a loop (P-256, Ed25519, RSA-2048), the context set
/// up once: the floor under any makeCredential, which must make a new key.
final class OpenSSLKeygenLoop {
    private let context: OpaquePointer

    init(typeName: String) throws {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, typeName, nil) else { throw BenchmarkError("EVP_PKEY_CTX_new_from_name(\(typeName))") }
        self.context = context
        guard EVP_PKEY_keygen_init(context) == 1 else { throw BenchmarkError("EVP_PKEY_keygen_init") }
        if typeName == "EC" { _ = EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) }
        if typeName == "RSA" { _ = EVP_PKEY_CTX_set_rsa_keygen_bits(context, 2048) }
    }

    deinit { EVP_PKEY_CTX_free(context) }

    /// One key pair, made and freed.
    func generate() throws {
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else { throw BenchmarkError("EVP_PKEY_generate") }
        EVP_PKEY_free(key)
    }
}
