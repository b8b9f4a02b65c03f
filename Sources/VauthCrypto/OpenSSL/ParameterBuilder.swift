import COpenSSL

/// C strings that stay valid as long as this object does.
///
/// OpenSSL keeps the `char *` it is given in several places (parameter names in `OSSL_PARAM_BLD`,
/// the key type in `EVP_PKEY_CTX_new_from_name`) instead of copying it, while Swift's implicit
/// String-to-pointer bridging only lives for one call. Strings handed to such functions come from here.
final class CStringArena {
    private var strings: [UnsafeMutablePointer<CChar>] = []

    func pointer(_ string: String) -> UnsafeMutablePointer<CChar> {
        let copy = strdup(string)!
        strings.append(copy)
        return copy
    }

    deinit {
        for string in strings { free(string) }
    }
}

/// An `OSSL_PARAM_BLD` and everything it points to. `OSSL_PARAM_BLD_push_BN` stores the BIGNUM
/// pointer and only reads it in `OSSL_PARAM_BLD_to_param`, so the BIGNUMs live here until the
/// builder is done.
final class ParameterBuilder {
    let builder: OpaquePointer
    let strings = CStringArena()
    private var bignums: [OpaquePointer] = []
    private var octets: [SecretBytes] = []

    init() throws(CryptoError) {
        builder = try unwrap(OSSL_PARAM_BLD_new(), "OSSL_PARAM_BLD_new")
    }

    deinit {
        OSSL_PARAM_BLD_free(builder)
        // Cleared, not just freed: some of these are private scalars.
        for bn in bignums { BN_clear_free(bn) }
    }

    /// Adds an unsigned big-endian integer parameter.
    func pushBigNumber(_ bytes: [UInt8], named name: String) throws(CryptoError) {
        let bn = try unwrap(BN_bin2bn(bytes, Int32(bytes.count), nil), "BN_bin2bn")
        bignums.append(bn)
        try check(OSSL_PARAM_BLD_push_BN(builder, strings.pointer(name), bn), "OSSL_PARAM_BLD_push_BN(\(name))")
    }

    /// Adds an unsigned big-endian integer parameter read straight from secret storage (no copy).
    func pushSecretBigNumber(_ bytes: UnsafeRawBufferPointer, named name: String) throws(CryptoError) {
        let bn = try unwrap(BN_bin2bn(bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), Int32(bytes.count), nil), "BN_bin2bn")
        bignums.append(bn)
        try check(OSSL_PARAM_BLD_push_BN(builder, strings.pointer(name), bn), "OSSL_PARAM_BLD_push_BN(\(name))")
    }

    /// Adds a UTF-8 string parameter.
    func pushString(_ value: String, named name: String) throws(CryptoError) {
        try check(OSSL_PARAM_BLD_push_utf8_string(builder, strings.pointer(name), strings.pointer(value), 0),
                  "OSSL_PARAM_BLD_push_utf8_string(\(name))")
    }

    /// Adds an octet string parameter. The builder reads the bytes only in `to_param`, so they
    /// are copied into storage this object owns (and wipes) first.
    func pushOctets(_ value: [UInt8], named name: String) throws(CryptoError) {
        let copy = SecretBytes(value)
        octets.append(copy)
        try copy.withUnsafeBytes { (buffer) throws(CryptoError) in
            try check(OSSL_PARAM_BLD_push_octet_string(builder, strings.pointer(name), buffer.baseAddress, buffer.count),
                      "OSSL_PARAM_BLD_push_octet_string(\(name))")
        }
    }

    /// Builds the `OSSL_PARAM` array and lends it to `body`.
    func withParameters<R>(_ body: (UnsafeMutablePointer<OSSL_PARAM>) throws(CryptoError) -> R) throws(CryptoError) -> R {
        let params = try unwrap(OSSL_PARAM_BLD_to_param(builder), "OSSL_PARAM_BLD_to_param")
        defer { OSSL_PARAM_free(params) }
        return try body(params)
    }
}
