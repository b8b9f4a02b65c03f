import COpenSSL

/// ECDSA P-256 / SHA-256 with the deterministic nonce of RFC 6979 §3.2.
///
/// OpenSSL 3.0 (Debian 12's) has no RFC 6979 mode: `EVP_DigestSign` draws k from the CSPRNG, so
/// two signatures of the same message differ. Test vectors that must be byte-identical on every
/// run need a deterministic k. This derives k with RFC 6979's HMAC-DRBG over the private key and
/// the message digest, then computes r and s with OpenSSL's own group and big-number arithmetic
/// (`EC_POINT_mul`, `BN_mod_inverse`, `BN_mod_mul`): the curve code stays OpenSSL's.
///
/// Production signing keeps OpenSSL's randomized nonces (``SigningKey/sign(_:)``); only
/// `vauth fixtures` signs here.
public enum DeterministicECDSA {
    /// Signs `message` with the P-256 private scalar `privateKey` (32 bytes, big-endian); returns
    /// the DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3) that WebAuthn's ES256 signatures use.
    public static func sign(_ message: some Collection<UInt8>, privateKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        let (r, s) = try signature(digest: SHA256.hash(message), privateKey: privateKey)
        return try derSignature(r: r, s: s)
    }

    /// r and s (32 bytes each) for a SHA-256 `digest`: RFC 6979 §3.2 steps a–h, then ECDSA
    /// (SEC 1 §4.1.3 steps 1–6).
    public static func signature(digest: [UInt8], privateKey: [UInt8]) throws(CryptoError) -> (r: [UInt8], s: [UInt8]) {
        guard digest.count == 32 else { throw CryptoError.invalidInput("a SHA-256 digest is 32 bytes") }
        guard privateKey.count == 32 else { throw CryptoError.invalidInput("a P-256 private key is 32 bytes") }
        let group = try unwrap(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1), "EC_GROUP_new_by_curve_name")
        defer { EC_GROUP_free(group) }
        let context = try BigNumberContext()
        let order = try unwrap(EC_GROUP_get0_order(group), "EC_GROUP_get0_order")
        let q = try BigNumber()
        guard BN_copy(q.pointer, order) != nil else { throw CryptoError.openSSL("BN_copy") }

        let x = try BigNumber(privateKey)
        guard !x.isZero, x.compare(q) < 0 else { throw CryptoError.invalidKey("the P-256 private scalar is not in [1, n-1]") }
        // bits2int(h1) = h1 (qlen = hlen = 256); bits2octets(h1) = int2octets(h1 mod q) (§2.3.4).
        let h = try BigNumber(digest)
        let hReduced = try BigNumber()
        try check(BN_nnmod(hReduced.pointer, h.pointer, q.pointer, context.pointer), "BN_nnmod")
        let nonces = NonceGenerator(privateKey: privateKey, reducedDigest: try hReduced.bytes(width: 32))

        while true {
            let candidate = nonces.next()
            let k = try BigNumber(candidate)
            // Step h.3: k must be in [1, q-1]; otherwise the generator moves on.
            guard !k.isZero, k.compare(q) < 0 else { continue }

            // r = x-coordinate of kG, mod q.
            let point = try unwrap(EC_POINT_new(group), "EC_POINT_new")
            defer { EC_POINT_free(point) }
            try check(EC_POINT_mul(group, point, k.pointer, nil, nil, context.pointer), "EC_POINT_mul")
            let affineX = try BigNumber()
            try check(EC_POINT_get_affine_coordinates(group, point, affineX.pointer, nil, context.pointer), "EC_POINT_get_affine_coordinates")
            let r = try BigNumber()
            try check(BN_nnmod(r.pointer, affineX.pointer, q.pointer, context.pointer), "BN_nnmod")
            guard !r.isZero else { continue }

            // s = k⁻¹ (h + x·r) mod q.
            let kInverse = try BigNumber()
            guard BN_mod_inverse(kInverse.pointer, k.pointer, q.pointer, context.pointer) != nil else { throw CryptoError.openSSL("BN_mod_inverse") }
            let xr = try BigNumber()
            try check(BN_mod_mul(xr.pointer, x.pointer, r.pointer, q.pointer, context.pointer), "BN_mod_mul")
            let sum = try BigNumber()
            try check(BN_mod_add(sum.pointer, hReduced.pointer, xr.pointer, q.pointer, context.pointer), "BN_mod_add")
            let s = try BigNumber()
            try check(BN_mod_mul(s.pointer, kInverse.pointer, sum.pointer, q.pointer, context.pointer), "BN_mod_mul")
            guard !s.isZero else { continue }
            return (try r.bytes(width: 32), try s.bytes(width: 32))
        }
    }

    /// The DER `SEQUENCE { r INTEGER, s INTEGER }`, encoded by OpenSSL's `i2d_ECDSA_SIG`.
    public static func derSignature(r: [UInt8], s: [UInt8]) throws(CryptoError) -> [UInt8] {
        let signature = try unwrap(ECDSA_SIG_new(), "ECDSA_SIG_new")
        defer { ECDSA_SIG_free(signature) }
        let rBN = try unwrap(BN_bin2bn(r, Int32(r.count), nil), "BN_bin2bn")
        guard let sBN = BN_bin2bn(s, Int32(s.count), nil) else {
            BN_free(rBN)
            throw CryptoError.openSSL("BN_bin2bn")
        }
        // set0 takes ownership of both.
        guard ECDSA_SIG_set0(signature, rBN, sBN) == 1 else {
            BN_free(rBN)
            BN_free(sBN)
            throw CryptoError.openSSL("ECDSA_SIG_set0")
        }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_ECDSA_SIG(signature, &out)
        guard length > 0, let out else { throw CryptoError.openSSL("i2d_ECDSA_SIG") }
        defer { vauth_OPENSSL_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// RFC 6979 §3.2 steps b–h: the HMAC-SHA-256 generator of candidate nonces for one key and
    /// digest. `next()` gives the first candidate, then each retry's (step h.3).
    final class NonceGenerator {
        private var k: [UInt8]
        private var v: [UInt8]
        private var started = false

        init(privateKey: [UInt8], reducedDigest: [UInt8]) {
            // Steps b–g: V = 0x01…, K = 0x00…, two rounds keyed by int2octets(x) ‖ bits2octets(h1).
            v = [UInt8](repeating: 0x01, count: 32)
            k = [UInt8](repeating: 0x00, count: 32)
            let material = privateKey + reducedDigest
            k = HMACSHA256.authenticate(v + [0x00] + material, key: k)
            v = HMACSHA256.authenticate(v, key: k)
            k = HMACSHA256.authenticate(v + [0x01] + material, key: k)
            v = HMACSHA256.authenticate(v, key: k)
        }

        func next() -> [UInt8] {
            if started {
                // Step h.3, for a rejected candidate: K = HMAC_K(V ‖ 0x00), V = HMAC_K(V).
                k = HMACSHA256.authenticate(v + [0x00], key: k)
                v = HMACSHA256.authenticate(v, key: k)
            }
            started = true
            // Step h.2: one HMAC block is qlen (256) bits.
            v = HMACSHA256.authenticate(v, key: k)
            return v
        }
    }
}
