import COpenSSL

/// Owns one reference to an OpenSSL `EVP_PKEY`; the reference is released when this object goes.
///
/// `EVP_PKEY` is reference counted and safe to use from several threads for signing and
/// verification as long as nobody mutates it, and nothing here mutates a key after construction.
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        EVP_PKEY_free(pointer)
    }

    /// The COSE algorithm this key signs with, from its OpenSSL type (and curve, for EC).
    func coseAlgorithm() throws(CryptoError) -> COSEAlgorithm {
        switch EVP_PKEY_get_base_id(pointer) {
        case NID_X9_62_id_ecPublicKey:
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            guard EVP_PKEY_get_utf8_string_param(pointer, OSSL_PKEY_PARAM_GROUP_NAME, &name, name.count, &length) == 1 else {
                throw CryptoError.invalidKey("EC key without a named curve")
            }
            let curve = String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard curve == "prime256v1" || curve == "P-256" else { throw CryptoError.invalidKey("EC curve \(curve) is not P-256") }
            return .es256
        case NID_ED25519:
            return .edDSA
        case NID_rsaEncryption:
            guard EVP_PKEY_get_bits(pointer) >= 2048 else { throw CryptoError.invalidKey("RSA modulus shorter than 2048 bits") }
            return .rs256
        case let other:
            throw CryptoError.invalidKey("key type NID \(other) is not P-256, Ed25519 or RSA")
        }
    }

    /// SubjectPublicKeyInfo DER (RFC 5280 §4.1.2.7).
    func spkiDER() throws(CryptoError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pointer, &out)
        guard length > 0, let out else { throw CryptoError.openSSL("i2d_PUBKEY") }
        defer { vauth_OPENSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// A big-number parameter (`n`, `e`, EC coordinates) as unsigned big-endian bytes, left-padded
    /// to `width` when given.
    func bigNumberParameter(_ name: String, width: Int? = nil) throws(CryptoError) -> [UInt8] {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, name, &bn) == 1, let bn else { throw CryptoError.openSSL("EVP_PKEY_get_bn_param(\(name))") }
        defer { BN_free(bn) }
        let size = width ?? Int(vauth_BN_num_bytes(bn))
        var out = [UInt8](repeating: 0, count: size)
        guard BN_bn2binpad(bn, &out, Int32(size)) == Int32(size) else { throw CryptoError.openSSL("BN_bn2binpad") }
        return out
    }

    /// A private big-number parameter (an EC scalar), left-padded to `width`, in wipe-on-free storage.
    func secretBigNumberParameter(_ name: String, width: Int) throws(CryptoError) -> SecretBytes {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pointer, name, &bn) == 1, let bn else { throw CryptoError.openSSL("EVP_PKEY_get_bn_param(private)") }
        defer { BN_clear_free(bn) }
        return try SecretBytes(count: width) { (out) throws(CryptoError) in
            guard BN_bn2binpad(bn, out.baseAddress!.assumingMemoryBound(to: UInt8.self), Int32(width)) == Int32(width) else {
                throw CryptoError.openSSL("BN_bn2binpad")
            }
        }
    }

    /// The raw public key of an Ed25519 key (RFC 8032 §5.1.5, 32 bytes).
    func rawPublicKey() throws(CryptoError) -> [UInt8] {
        var length = 0
        try check(EVP_PKEY_get_raw_public_key(pointer, nil, &length), "EVP_PKEY_get_raw_public_key")
        var out = [UInt8](repeating: 0, count: length)
        try check(EVP_PKEY_get_raw_public_key(pointer, &out, &length), "EVP_PKEY_get_raw_public_key")
        return out
    }

    /// Parses SubjectPublicKeyInfo DER.
    static func fromSPKI(_ der: some Collection<UInt8>) throws(CryptoError) -> EVPKey {
        let bytes = Array(der)
        let key: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PUBKEY(nil, &cursor, buffer.count)
        }
        guard let key else {
            OpenSSLErrorQueue.clear()
            throw CryptoError.invalidKey("not a SubjectPublicKeyInfo DER")
        }
        return EVPKey(taking: key)
    }

    /// Builds a key of OpenSSL type `typeName` from parameters (`EVP_PKEY_fromdata`).
    static func fromParameters(typeName: String, selection: Int32, build: (ParameterBuilder) throws(CryptoError) -> Void) throws(CryptoError) -> EVPKey {
        let builder = try ParameterBuilder()
        try build(builder)
        return try builder.withParameters { (params) throws(CryptoError) in
            let ctx = try unwrap(EVP_PKEY_CTX_new_from_name(nil, builder.strings.pointer(typeName), nil),
                                 "EVP_PKEY_CTX_new_from_name(\(typeName))")
            defer { EVP_PKEY_CTX_free(ctx) }
            try check(EVP_PKEY_fromdata_init(ctx), "EVP_PKEY_fromdata_init")
            var key: OpaquePointer?
            guard EVP_PKEY_fromdata(ctx, &key, selection, params) == 1, let key else {
                throw CryptoError.invalidKey("\(typeName) parameters rejected: \(OpenSSLErrorQueue.drain())")
            }
            return EVPKey(taking: key)
        }
    }
}
