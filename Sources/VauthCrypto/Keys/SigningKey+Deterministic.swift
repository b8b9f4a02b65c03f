import COpenSSL

extension SigningKey {
    /// Signs `message` so that the same key and message always give the same bytes: ES256 with
    /// RFC 6979 nonces (``DeterministicECDSA``); Ed25519 and RSASSA-PKCS1-v1_5, which are
    /// deterministic by construction, through ``sign(_:)``. For test vectors, not production.
    public func signDeterministically(_ message: some Collection<UInt8>) throws(CryptoError) -> [UInt8] {
        guard algorithm == .es256 else { return try sign(message) }
        let scalar = try privateScalar()
        return try DeterministicECDSA.sign(message, privateKey: scalar)
    }

    /// The P-256 private scalar, 32 bytes big-endian.
    func privateScalar() throws(CryptoError) -> [UInt8] {
        var bn: OpaquePointer?
        guard EVP_PKEY_get_bn_param(key.pointer, OSSL_PKEY_PARAM_PRIV_KEY, &bn) == 1, let bn else {
            throw CryptoError.openSSL("EVP_PKEY_get_bn_param(priv)")
        }
        defer { BN_clear_free(bn) }
        var out = [UInt8](repeating: 0, count: 32)
        guard BN_bn2binpad(bn, &out, 32) == 32 else { throw CryptoError.openSSL("BN_bn2binpad") }
        return out
    }

    /// A key made from `random`'s bytes alone, so a seeded ``HMACDRBG`` gives the same key every
    /// time: a P-256 scalar drawn by rejection sampling (FIPS 186-5 A.2.2 style: candidates
    /// outside [1, n-1] are discarded), an Ed25519 seed (RFC 8032 §5.1.5), or an RSA-2048 key
    /// whose primes are searched from the random bytes (``DeterministicRSA``).
    public static func derive(_ algorithm: COSEAlgorithm, from random: any RandomSource) throws(CryptoError) -> SigningKey {
        switch algorithm {
        case .es256:
            // n of P-256 (SEC 2 §2.4.2).
            let order = Hex.decode("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551")!
            while true {
                let candidate = try random.bytes(32)
                if candidate.allSatisfy({ $0 == 0 }) || candidate.lexicographicallyPrecedes(order) == false { continue }
                return try SigningKey(algorithm: .es256, rawPrivateKey: candidate)
            }
        case .edDSA:
            return try SigningKey(algorithm: .edDSA, rawPrivateKey: try random.bytes(32))
        case .rs256:
            return try DeterministicRSA.generate(bits: 2048, random: random)
        }
    }
}
