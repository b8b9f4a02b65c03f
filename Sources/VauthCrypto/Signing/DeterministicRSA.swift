import COpenSSL

/// RSA key generation driven by a caller's ``RandomSource``: the same bytes give the same key.
///
/// OpenSSL's `EVP_PKEY_generate` draws from its own DRBG and cannot be seeded per call. Here each
/// prime is an incremental search (FIPS 186-5 B.3.3's shape: a random odd start with the top two
/// bits set, so p·q has exactly `bits` bits, stepping by 2) whose candidates OpenSSL's
/// `BN_check_prime` tests (trial division, then Miller–Rabin with enough rounds for the size).
/// The private exponent is e⁻¹ mod λ(n) = lcm(p−1, q−1) (FIPS 186-5 A.1.1). For test vectors only.
public enum DeterministicRSA {
    public static let publicExponent: UInt = 65537

    public static func generate(bits: Int, random: any RandomSource) throws(CryptoError) -> SigningKey {
        guard bits >= 2048, bits % 16 == 0 else { throw CryptoError.invalidInput("RSA modulus must be at least 2048 bits, a multiple of 16") }
        let context = try BigNumberContext()
        let e = try BigNumber(word: publicExponent)
        var p = try prime(bits: bits / 2, e: e, random: random, context: context)
        var q = try prime(bits: bits / 2, e: e, random: random, context: context)
        while p.compare(q) == 0 { q = try prime(bits: bits / 2, e: e, random: random, context: context) }
        if p.compare(q) < 0 { swap(&p, &q) }

        let n = try BigNumber()
        try check(BN_mul(n.pointer, p.pointer, q.pointer, context.pointer), "BN_mul")
        let one = try BigNumber(word: 1)
        let pMinus1 = try BigNumber(), qMinus1 = try BigNumber()
        try check(BN_sub(pMinus1.pointer, p.pointer, one.pointer), "BN_sub")
        try check(BN_sub(qMinus1.pointer, q.pointer, one.pointer), "BN_sub")
        // λ(n) = (p−1)(q−1) / gcd(p−1, q−1).
        let product = try BigNumber(), gcd = try BigNumber(), lambda = try BigNumber()
        try check(BN_mul(product.pointer, pMinus1.pointer, qMinus1.pointer, context.pointer), "BN_mul")
        try check(BN_gcd(gcd.pointer, pMinus1.pointer, qMinus1.pointer, context.pointer), "BN_gcd")
        try check(BN_div(lambda.pointer, nil, product.pointer, gcd.pointer, context.pointer), "BN_div")
        let d = try BigNumber()
        guard BN_mod_inverse(d.pointer, e.pointer, lambda.pointer, context.pointer) != nil else { throw CryptoError.openSSL("BN_mod_inverse(e)") }
        let dP = try BigNumber(), dQ = try BigNumber(), qInverse = try BigNumber()
        try check(BN_nnmod(dP.pointer, d.pointer, pMinus1.pointer, context.pointer), "BN_nnmod")
        try check(BN_nnmod(dQ.pointer, d.pointer, qMinus1.pointer, context.pointer), "BN_nnmod")
        guard BN_mod_inverse(qInverse.pointer, q.pointer, p.pointer, context.pointer) != nil else { throw CryptoError.openSSL("BN_mod_inverse(q)") }

        // OSSL_PKEY_PARAM_RSA_FACTOR1 and friends are string-concatenating macros Swift cannot
        // import; these are their values (core_names.h).
        let key = try EVPKey.fromParameters(typeName: "RSA", selection: vauth_EVP_PKEY_KEYPAIR()) { (builder) throws(CryptoError) in
            try builder.pushBigNumber(try n.bytes(), named: OSSL_PKEY_PARAM_RSA_N)
            try builder.pushBigNumber(try e.bytes(), named: OSSL_PKEY_PARAM_RSA_E)
            try builder.pushBigNumber(try d.bytes(), named: OSSL_PKEY_PARAM_RSA_D)
            try builder.pushBigNumber(try p.bytes(), named: "rsa-factor1")
            try builder.pushBigNumber(try q.bytes(), named: "rsa-factor2")
            try builder.pushBigNumber(try dP.bytes(), named: "rsa-exponent1")
            try builder.pushBigNumber(try dQ.bytes(), named: "rsa-exponent2")
            try builder.pushBigNumber(try qInverse.bytes(), named: "rsa-coefficient1")
        }
        return try SigningKey(key: key, algorithm: .rs256)
    }

    /// A probable prime of exactly `bits` bits with gcd(p−1, e) = 1.
    static func prime(bits: Int, e: BigNumber, random: any RandomSource, context: BigNumberContext) throws(CryptoError) -> BigNumber {
        var start = try random.bytes(bits / 8)
        start[0] |= 0xC0
        start[start.count - 1] |= 0x01
        let candidate = try BigNumber(start)
        let remainder = try BigNumber()
        while true {
            // e is prime, so gcd(p−1, e) = 1 unless p ≡ 1 (mod e).
            try check(BN_nnmod(remainder.pointer, candidate.pointer, e.pointer, context.pointer), "BN_nnmod")
            if !BN_is_one(remainder.pointer).isTrue {
                switch BN_check_prime(candidate.pointer, context.pointer, nil) {
                case 1: return candidate
                case 0: break
                default: throw CryptoError.openSSL("BN_check_prime")
                }
            }
            try check(BN_add_word(candidate.pointer, 2), "BN_add_word")
            guard candidate.bitCount == bits else { throw CryptoError.invalidInput("prime search ran past \(bits) bits") }
        }
    }
}

private extension Int32 {
    var isTrue: Bool { self == 1 }
}
