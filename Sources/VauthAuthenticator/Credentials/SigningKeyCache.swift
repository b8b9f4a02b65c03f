import VauthCrypto

/// Loaded signing keys of recently used credentials, so a long-lived authenticator (`vauth serve`,
/// a browser bridge) signs an assertion without loading the key again.
///
/// Entries are keyed by credential id and checked against the stored private key bytes on every
/// hit, so a credential deleted and imported again under the same id with another key is never
/// signed for with the old one. Least recently used entries go first once `capacity` is reached.
/// Not thread-safe, like the ``Authenticator`` that owns it.
public final class SigningKeyCache {
    private struct Entry {
        var storedKey: SecretBytes
        var key: SigningKey
        var lastUse: UInt64
    }

    /// The most keys kept; 0 turns the cache off.
    public var capacity: Int {
        didSet { trim() }
    }
    private var entries: [[UInt8]: Entry] = [:]
    private var clock: UInt64 = 0

    public init(capacity: Int = 1024) {
        self.capacity = capacity
    }

    public var count: Int { entries.count }

    /// The signing key of `record`, from the cache when its stored key is the one cached.
    public func signingKey(for record: CredentialRecord) throws(CryptoError) -> SigningKey {
        clock &+= 1
        if var entry = entries[record.id],
           entry.storedKey === record.privateKey || entry.storedKey.constantTimeEquals(record.privateKey) {
            entry.lastUse = clock
            entries[record.id] = entry
            return entry.key
        }
        let key = try record.signingKey()
        guard capacity > 0 else { return key }
        entries[record.id] = Entry(storedKey: record.privateKey, key: key, lastUse: clock)
        trim()
        return key
    }

    /// Forgets one credential's key (after a delete) or all of them.
    public func remove(credentialId: [UInt8]) { entries[credentialId] = nil }
    public func removeAll() { entries.removeAll() }

    /// Over capacity, drops the least recently used quarter at once, so eviction is not a scan per key.
    private func trim() {
        guard entries.count > capacity else { return }
        let keep = capacity - capacity / 4
        let byAge = entries.sorted { $0.value.lastUse > $1.value.lastUse }
        for (id, _) in byAge.dropFirst(keep) { entries[id] = nil }
    }
}
