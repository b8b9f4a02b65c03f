/// HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1 §10.1.2), without prediction resistance or
/// reseeding: a deterministic byte stream fully determined by its seed material.
///
/// This is not a replacement for the system CSPRNG. It exists so that `vauth fixtures` can derive
/// every key, credential id, challenge and user handle from a seed the caller names, and get the
/// same bytes on every machine and every run.
public final class HMACDRBG: RandomSource {
    private var key: [UInt8]
    private var value: [UInt8]

    /// Instantiate (§10.1.2.3) with `seedMaterial` = entropy ‖ nonce ‖ personalization string.
    public init(seedMaterial: some Collection<UInt8>) {
        key = [UInt8](repeating: 0x00, count: 32)
        value = [UInt8](repeating: 0x01, count: 32)
        update(Array(seedMaterial))
    }

    /// HMAC_DRBG_Update (§10.1.2.2).
    private func update(_ providedData: [UInt8]) {
        key = HMACSHA256.authenticate(value + [0x00] + providedData, key: key)
        value = HMACSHA256.authenticate(value, key: key)
        guard !providedData.isEmpty else { return }
        key = HMACSHA256.authenticate(value + [0x01] + providedData, key: key)
        value = HMACSHA256.authenticate(value, key: key)
    }

    /// HMAC_DRBG_Generate (§10.1.2.5) without additional input.
    public func bytes(_ count: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(count + 32)
        while out.count < count {
            value = HMACSHA256.authenticate(value, key: key)
            out += value
        }
        update([])
        return Array(out.prefix(count))
    }

    /// A child generator for one purpose, seeded from this one's output and `label`, so that
    /// adding a consumer of one child's bytes never shifts another child's.
    public func child(_ label: String) -> HMACDRBG {
        HMACDRBG(seedMaterial: bytes(32) + Array(label.utf8))
    }
}
