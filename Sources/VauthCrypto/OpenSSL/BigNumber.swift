import COpenSSL

/// Owns one OpenSSL `BIGNUM`, cleared when freed (some hold private scalars or primes).
final class BigNumber {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        pointer = try unwrap(BN_secure_new() ?? BN_new(), "BN_new")
    }

    /// An unsigned big-endian integer.
    convenience init(_ bytes: [UInt8]) throws(CryptoError) {
        try self.init()
        guard BN_bin2bn(bytes, Int32(bytes.count), pointer) != nil else { throw CryptoError.openSSL("BN_bin2bn") }
    }

    convenience init(word: UInt) throws(CryptoError) {
        try self.init()
        try check(BN_set_word(pointer, word), "BN_set_word")
    }

    deinit {
        BN_clear_free(pointer)
    }

    /// Big-endian bytes, left-padded to `width`.
    func bytes(width: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width)
        guard BN_bn2binpad(pointer, &out, Int32(width)) == Int32(width) else { throw CryptoError.openSSL("BN_bn2binpad") }
        return out
    }

    /// Minimal big-endian bytes.
    func bytes() throws(CryptoError) -> [UInt8] {
        try bytes(width: Int(vauth_BN_num_bytes(pointer)))
    }

    var bitCount: Int { Int(BN_num_bits(pointer)) }
    var isZero: Bool { BN_is_zero(pointer) == 1 }

    /// -1, 0 or 1 as `self` is less than, equal to or greater than `other`.
    func compare(_ other: BigNumber) -> Int32 { BN_cmp(pointer, other.pointer) }
}

/// Owns an OpenSSL `BN_CTX`, the scratch space of big-number arithmetic.
final class BigNumberContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        pointer = try unwrap(BN_CTX_secure_new() ?? BN_CTX_new(), "BN_CTX_new")
    }

    deinit {
        BN_CTX_free(pointer)
    }
}
