import COpenSSL

/// A private key that signs for one ``COSEAlgorithm``. Owns its OpenSSL key; the key material is
/// freed (and cleared by OpenSSL) with the last reference. It never describes itself with its
/// private bytes: only ``pkcs8DER()`` gives them out, for export and storage.
///
/// P-256 and Ed25519 keys also keep their raw halves (``RawKeyPair``), so that loading a stored key
/// is one `EVP_PKEY_fromdata` and PKCS#8, SPKI and COSE_Key are written without OpenSSL's
/// encoders; and every key keeps one signing context for reuse (``SigningContext``). Both make a
/// signature cost a signature, not a decoder.
public final class SigningKey: @unchecked Sendable {
    public let algorithm: COSEAlgorithm
    let key: EVPKey
    let raw: RawKeyPair?
    private let context: SigningContext

    init(key: EVPKey, algorithm: COSEAlgorithm, raw: RawKeyPair? = nil) throws(CryptoError) {
        self.key = key
        self.algorithm = algorithm
        self.raw = raw
        context = try SigningContext(key: key, algorithm: algorithm)
    }

    /// A new key from OpenSSL's CSPRNG: P-256, Ed25519 or RSA-2048 (e = 65537).
    public static func generate(_ algorithm: COSEAlgorithm) throws(CryptoError) -> SigningKey {
        let strings = CStringArena()
        let typeName: String
        switch algorithm {
        case .es256: typeName = "EC"
        case .edDSA: typeName = "ED25519"
        case .rs256: typeName = "RSA"
        }
        let ctx = try unwrap(EVP_PKEY_CTX_new_from_name(nil, strings.pointer(typeName), nil), "EVP_PKEY_CTX_new_from_name")
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        switch algorithm {
        case .es256: try check(EVP_PKEY_CTX_set_group_name(ctx, strings.pointer("P-256")), "EVP_PKEY_CTX_set_group_name")
        case .rs256: try check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), "EVP_PKEY_CTX_set_rsa_keygen_bits")
        case .edDSA: break
        }
        var pkey: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &pkey) == 1, let pkey else { throw CryptoError.openSSL("EVP_PKEY_generate(\(typeName))") }
        let key = EVPKey(taking: pkey)
        return try SigningKey(key: key, algorithm: algorithm, raw: try RawKeyPair.extract(from: key, algorithm: algorithm))
    }

    /// Imports a PKCS#8 `PrivateKeyInfo` (RFC 5208), the form Chrome's virtual authenticator and
    /// `vauth export` use. The algorithm follows from the key.
    ///
    /// The layouts vauth itself writes (P-256 with its public point, Ed25519, RSA) are read here and
    /// built with `EVP_PKEY_fromdata` / `EVP_PKEY_new_raw_private_key`; only other shapes go
    /// through OpenSSL's decoder, whose set-up costs 20× a signature.
    public convenience init(pkcs8DER: some Collection<UInt8>) throws(CryptoError) {
        let der = SecretBytes(pkcs8DER)
        let fast: (COSEAlgorithm, SecretBytes, [UInt8])? = der.withUnsafeBytes { RawKeyPair.fromPKCS8($0) }
        if let (algorithm, privateBytes, publicBytes) = fast {
            let key = try RawKeyPair.makeKey(algorithm: algorithm, privateBytes: privateBytes, publicBytes: publicBytes)
            let point = algorithm == .edDSA ? try key.rawPublicKey() : publicBytes
            try self.init(key: key, algorithm: algorithm, raw: RawKeyPair(algorithm: algorithm, privateBytes: privateBytes, publicBytes: point))
            return
        }
        if let key = der.withUnsafeBytes({ RSAPrivateKeyDER.key(fromPKCS8: $0) }) {
            try self.init(key: key, algorithm: try key.coseAlgorithm())
            return
        }
        let pkey: OpaquePointer? = der.withUnsafeBytes { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
            guard let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count) else { return nil }
            defer { PKCS8_PRIV_KEY_INFO_free(info) }
            // Trailing bytes after the structure mean it is not the PKCS#8 blob it claims to be.
            guard cursor == buffer.baseAddress!.assumingMemoryBound(to: UInt8.self) + buffer.count else { return nil }
            return EVP_PKCS82PKEY(info)
        }
        guard let pkey else {
            OpenSSLErrorQueue.clear()
            throw CryptoError.invalidKey("not a PKCS#8 private key")
        }
        let key = EVPKey(taking: pkey)
        let algorithm = try key.coseAlgorithm()
        try self.init(key: key, algorithm: algorithm, raw: try RawKeyPair.extract(from: key, algorithm: algorithm))
    }

    /// An ES256 key from its 32-byte private scalar, or an EdDSA key from its 32-byte seed
    /// (RFC 8032 §5.1.5). Deterministic fixtures derive keys this way.
    public convenience init(algorithm: COSEAlgorithm, rawPrivateKey: some Collection<UInt8>) throws(CryptoError) {
        let raw = Array(rawPrivateKey)
        defer { _ = raw }
        guard raw.count == 32 else { throw CryptoError.invalidInput("a raw \(algorithm.name) private key is 32 bytes") }
        switch algorithm {
        case .es256:
            // PKCS#8 around a SEC1 ECPrivateKey without the public key: OpenSSL computes the public
            // point while decoding, which spares the deprecated EC_POINT API.
            let pkcs8: [UInt8] = [0x30, 0x41, 0x02, 0x01, 0x00,
                                  0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
                                  0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
                                  0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20] + raw
            try self.init(pkcs8DER: pkcs8)
        case .edDSA:
            guard let pkey = EVP_PKEY_new_raw_private_key(NID_ED25519, nil, raw, raw.count) else {
                throw CryptoError.openSSL("EVP_PKEY_new_raw_private_key")
            }
            let key = EVPKey(taking: pkey)
            try self.init(key: key, algorithm: .edDSA, raw: try RawKeyPair.extract(from: key, algorithm: .edDSA))
        case .rs256:
            throw CryptoError.invalidInput("RSA keys cannot be made from 32 raw bytes; import PKCS#8")
        }
    }

    /// The public half.
    public var publicKey: PublicKey { PublicKey(key: key, algorithm: algorithm, rawPublicKey: raw?.publicBytes) }

    /// The private key as PKCS#8 DER: what the keystore stores and export paths give out.
    public func pkcs8DER() throws(CryptoError) -> SecretBytes {
        if let raw { return raw.pkcs8DER() }
        let info = try unwrap(EVP_PKEY2PKCS8(key.pointer), "EVP_PKEY2PKCS8")
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, &out)
        guard length > 0, let out else { throw CryptoError.openSSL("i2d_PKCS8_PRIV_KEY_INFO") }
        defer {
            OPENSSL_cleanse(out, Int(length))
            vauth_OPENSSL_free(out)
        }
        return SecretBytes(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// Signs `message`: ECDSA-SHA256 with a DER signature, pure Ed25519, or RSASSA-PKCS1-v1_5-SHA256.
    public func sign(_ message: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        let context = self.context
        let contiguous: Result<[UInt8], CryptoError>? = message.withContiguousStorageIfAvailable { buffer in
            Result { () throws(CryptoError) in try context.sign(UnsafeRawBufferPointer(buffer)) }
        }
        if let contiguous { return try contiguous.get() }
        let input = SecretBytes(message)
        return try input.withUnsafeBytes { (buffer) throws(CryptoError) in try context.sign(buffer) }
    }
}

extension SigningKey: CustomStringConvertible {
    /// The algorithm and public key fingerprint; never private material.
    public var description: String {
        let fingerprint = (try? publicKey.spkiDER()).map { Hex.encode(SHA256.hash($0).prefix(8)) } ?? "?"
        return "SigningKey(\(algorithm.name), spki-sha256 \(fingerprint)…)"
    }
}
