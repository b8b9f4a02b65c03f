import COpenSSL

/// The raw halves of a P-256 or Ed25519 key pair: the private scalar (P-256, 32 bytes big-endian)
/// or seed (Ed25519, RFC 8032 §5.1.5, 32 bytes), and the public point (P-256 SEC1 uncompressed
/// `04 ‖ x ‖ y`, 65 bytes) or public key (Ed25519, 32 bytes).
///
/// Why it exists: OpenSSL 3's PKCS#8 and SPKI decoders and encoders build a fresh
/// `OSSL_DECODER_CTX`/`OSSL_ENCODER_CTX` per call, which costs 20× an ECDSA signature. With the raw
/// halves at hand, loading a key is one `EVP_PKEY_fromdata` and PKCS#8, SPKI and COSE_Key are a
/// fixed DER template around the bytes.
struct RawKeyPair {
    let algorithm: COSEAlgorithm
    let privateBytes: SecretBytes
    let publicBytes: [UInt8]

    // MARK: - Fixed DER templates (the only form OpenSSL's encoder gives these keys)

    /// PKCS#8 PrivateKeyInfo (RFC 5208) of a P-256 key with its public point, as OpenSSL writes it:
    /// `SEQUENCE { 0, AlgorithmIdentifier { id-ecPublicKey, prime256v1 }, OCTET STRING { ECPrivateKey
    /// (RFC 5915) { 1, OCTET STRING d, [1] BIT STRING point } } }`. This prefix, then d, then
    /// ``p256PointPrefix``, then the 65-byte point: 138 bytes.
    static let p256PKCS8Prefix: [UInt8] = [
        0x30, 0x81, 0x87, 0x02, 0x01, 0x00,
        0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
        0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
    ]
    static let p256PointPrefix: [UInt8] = [0xa1, 0x44, 0x03, 0x42, 0x00]
    static let p256PKCS8Length = p256PKCS8Prefix.count + 32 + p256PointPrefix.count + 65

    /// PKCS#8 of an Ed25519 key (RFC 8410 §7): `SEQUENCE { 0, AlgorithmIdentifier { id-Ed25519 },
    /// OCTET STRING { OCTET STRING seed } }`. This prefix then the 32-byte seed: 48 bytes.
    static let ed25519PKCS8Prefix: [UInt8] = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]

    /// The PKCS#8 DER, byte for byte what `EVP_PKEY2PKCS8` + `i2d_PKCS8_PRIV_KEY_INFO` give.
    func pkcs8DER() -> SecretBytes {
        switch algorithm {
        case .es256:
            return SecretBytes(count: Self.p256PKCS8Length) { out in
                var offset = 0
                func put(_ bytes: UnsafeRawBufferPointer) {
                    out.baseAddress!.advanced(by: offset).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
                    offset += bytes.count
                }
                Self.p256PKCS8Prefix.withUnsafeBytes(put)
                privateBytes.withUnsafeBytes(put)
                Self.p256PointPrefix.withUnsafeBytes(put)
                publicBytes.withUnsafeBytes(put)
            }
        default:
            return SecretBytes(count: Self.ed25519PKCS8Prefix.count + 32) { out in
                Self.ed25519PKCS8Prefix.withUnsafeBytes { out.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                privateBytes.withUnsafeBytes {
                    out.baseAddress!.advanced(by: Self.ed25519PKCS8Prefix.count).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
                }
            }
        }
    }

    /// Recognises the two fixed PKCS#8 layouts above and takes the raw halves out of them (an
    /// Ed25519 PKCS#8 carries no public key: `publicBytes` is then empty). Anything else is nil,
    /// and the caller falls back to OpenSSL's decoder.
    static func fromPKCS8(_ der: UnsafeRawBufferPointer) -> (COSEAlgorithm, SecretBytes, [UInt8])? {
        if der.count == p256PKCS8Length, der.starts(with: p256PKCS8Prefix),
           der[(p256PKCS8Prefix.count + 32)...].starts(with: p256PointPrefix + [0x04]) {
            let scalarStart = p256PKCS8Prefix.count
            let pointStart = scalarStart + 32 + p256PointPrefix.count
            return (.es256, SecretBytes(der[scalarStart..<scalarStart + 32]), Array(der[pointStart...]))
        }
        if der.count == ed25519PKCS8Prefix.count + 32, der.starts(with: ed25519PKCS8Prefix) {
            return (.edDSA, SecretBytes(der[ed25519PKCS8Prefix.count...]), [])
        }
        return nil
    }

    // MARK: - OpenSSL keys from and to raw halves

    /// Builds the OpenSSL key: `EVP_PKEY_fromdata` with the group, scalar and point for P-256;
    /// `EVP_PKEY_new_raw_private_key` for Ed25519 (OpenSSL derives the public key from the seed).
    /// No decoder is involved.
    static func makeKey(algorithm: COSEAlgorithm, privateBytes: SecretBytes, publicBytes: [UInt8]) throws(CryptoError) -> EVPKey {
        switch algorithm {
        case .es256:
            guard privateBytes.count == 32, publicBytes.count == 65, publicBytes[0] == 0x04 else {
                throw CryptoError.invalidKey("a P-256 key is a 32-byte scalar and a 65-byte point")
            }
            // OSSL_PARAM_construct_BN reads native-endian bytes; the scalar is big-endian.
            let littleEndian = privateBytes.withUnsafeBytes { scalar in
                SecretBytes(count: 32) { out in for i in 0..<32 { out[i] = scalar[31 - i] } }
            }
            let names = ParameterNames.shared
            let point = SecretBytes(publicBytes)
            return try littleEndian.withUnsafeBytes { (scalar) throws(CryptoError) -> EVPKey in
                try point.withUnsafeBytes { (pointBuffer) throws(CryptoError) -> EVPKey in
                    var params = [
                        OSSL_PARAM_construct_utf8_string(names.groupName, names.p256, 0),
                        OSSL_PARAM_construct_BN(names.privateKey, UnsafeMutablePointer(mutating: scalar.baseAddress!.assumingMemoryBound(to: UInt8.self)), 32),
                        OSSL_PARAM_construct_octet_string(names.publicKey, UnsafeMutableRawPointer(mutating: pointBuffer.baseAddress), 65),
                        OSSL_PARAM_construct_end(),
                    ]
                    let ctx = try unwrap(EVP_PKEY_CTX_new_from_name(nil, names.ec, nil), "EVP_PKEY_CTX_new_from_name(EC)")
                    defer { EVP_PKEY_CTX_free(ctx) }
                    try check(EVP_PKEY_fromdata_init(ctx), "EVP_PKEY_fromdata_init")
                    var key: OpaquePointer?
                    guard EVP_PKEY_fromdata(ctx, &key, vauth_EVP_PKEY_KEYPAIR(), &params) == 1, let key else {
                        throw CryptoError.invalidKey("P-256 key rejected: \(OpenSSLErrorQueue.drain())")
                    }
                    return EVPKey(taking: key)
                }
            }
        case .edDSA:
            guard privateBytes.count == 32 else { throw CryptoError.invalidKey("an Ed25519 seed is 32 bytes") }
            let pkey = privateBytes.withUnsafeBytes {
                EVP_PKEY_new_raw_private_key(NID_ED25519, nil, $0.baseAddress!.assumingMemoryBound(to: UInt8.self), 32)
            }
            guard let pkey else { throw CryptoError.openSSL("EVP_PKEY_new_raw_private_key") }
            return EVPKey(taking: pkey)
        case .rs256:
            throw CryptoError.invalidKey("RSA keys have no raw form here")
        }
    }

    /// The raw halves of an OpenSSL P-256 or Ed25519 key (nil for RSA).
    static func extract(from key: EVPKey, algorithm: COSEAlgorithm) throws(CryptoError) -> RawKeyPair? {
        switch algorithm {
        case .es256:
            let scalar = try key.secretBigNumberParameter(OSSL_PKEY_PARAM_PRIV_KEY, width: 32)
            var point = [UInt8](repeating: 0, count: 65)
            var length = 0
            try check(EVP_PKEY_get_octet_string_param(key.pointer, OSSL_PKEY_PARAM_PUB_KEY, &point, point.count, &length),
                      "EVP_PKEY_get_octet_string_param(pub)")
            guard length == 65, point[0] == 0x04 else { return nil }
            return RawKeyPair(algorithm: .es256, privateBytes: scalar, publicBytes: point)
        case .edDSA:
            var length = 32
            let seed = try SecretBytes(count: 32) { (out) throws(CryptoError) in
                try check(EVP_PKEY_get_raw_private_key(key.pointer, out.baseAddress!.assumingMemoryBound(to: UInt8.self), &length),
                          "EVP_PKEY_get_raw_private_key")
            }
            return RawKeyPair(algorithm: .edDSA, privateBytes: seed, publicBytes: try key.rawPublicKey())
        case .rs256:
            return nil
        }
    }
}

/// OpenSSL parameter names as C strings that live for the whole process: `OSSL_PARAM` keeps the
/// pointer it is given.
final class ParameterNames: @unchecked Sendable {
    static let shared = ParameterNames()
    let groupName = strdup(OSSL_PKEY_PARAM_GROUP_NAME)!
    let privateKey = strdup(OSSL_PKEY_PARAM_PRIV_KEY)!
    let publicKey = strdup(OSSL_PKEY_PARAM_PUB_KEY)!
    let p256 = strdup("prime256v1")!
    let ec = strdup("EC")!
}
