/// Where key generation, credential ids and other "random" bytes come from.
///
/// Production code uses ``SystemRandomSource`` (OpenSSL's CSPRNG). Deterministic test-vector
/// generation (`vauth fixtures`) injects an ``HMACDRBG`` seeded from the fixture seed, so the same
/// seed gives the same keys, ids and challenges on every machine.
public protocol RandomSource: AnyObject {
    /// `count` bytes.
    func bytes(_ count: Int) throws(CryptoError) -> [UInt8]
}

/// OpenSSL's CSPRNG (`RAND_bytes`) as a ``RandomSource``.
public final class SystemRandomSource: RandomSource {
    public init() {}

    public func bytes(_ count: Int) throws(CryptoError) -> [UInt8] {
        try SecureRandom.bytes(count)
    }
}
