import COpenSSL

/// OpenSSL's CSPRNG (`RAND_bytes`), seeded by the operating system.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        guard count == 0 || RAND_bytes(&out, Int32(count)) == 1 else { throw CryptoError.openSSL("RAND_bytes") }
        return out
    }
}
