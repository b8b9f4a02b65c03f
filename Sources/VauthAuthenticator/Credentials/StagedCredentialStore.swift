/// A credential store that holds changes back until ``commit()``.
///
/// A ceremony that only counts once a server agrees — Passwordless.dev's register/complete, a Dfns
/// registration — runs the authenticator against this store, and commits the new credential (or
/// the new counter) only after the server said yes. If the server says no, nothing reaches the
/// keystore, which stays byte for byte as it was.
public final class StagedCredentialStore: CredentialStore {
    public let base: any CredentialStore
    private var saved: [(record: CredentialRecord, replacing: [UInt8]?)] = []
    private var counters: [[UInt8]: UInt32] = [:]

    public init(base: any CredentialStore) {
        self.base = base
    }

    public var hasChanges: Bool { !saved.isEmpty || !counters.isEmpty }

    public func credential(id: [UInt8], rpId: String) throws -> CredentialRecord? {
        if let staged = saved.last(where: { $0.record.id == id && $0.record.rpId == rpId }) { return withCounter(staged.record) }
        return try base.credential(id: id, rpId: rpId).map(withCounter)
    }

    public func credential(id: [UInt8]) throws -> CredentialRecord? {
        if let staged = saved.last(where: { $0.record.id == id }) { return withCounter(staged.record) }
        return try base.credential(id: id).map(withCounter)
    }

    public func discoverableCredentials(rpId: String) throws -> [CredentialSummary] {
        let replaced = Set(saved.compactMap(\.replacing))
        let staged = saved.map(\.record).filter { $0.discoverable && $0.rpId == rpId }.map(CredentialSummary.init)
        return (staged + (try base.discoverableCredentials(rpId: rpId)).filter { !replaced.contains($0.id) })
            .sorted { $0.createdAt > $1.createdAt }
    }

    public func allCredentials() throws -> [CredentialRecord] {
        let replaced = Set(saved.compactMap(\.replacing))
        return (try base.allCredentials()).filter { !replaced.contains($0.id) } + saved.map(\.record)
    }

    public func save(_ record: CredentialRecord, replacing: [UInt8]?) throws {
        saved.append((record, replacing))
    }

    public func updateSignCount(id: [UInt8], to count: UInt32) throws {
        counters[id] = count
    }

    @discardableResult public func delete(id: [UInt8]) throws -> Bool {
        try base.delete(id: id)
    }

    /// Writes the held changes to the underlying store.
    public func commit() throws {
        for (record, replacing) in saved {
            var record = record
            if let count = counters.removeValue(forKey: record.id) { record.signCount = count }
            try base.save(record, replacing: replacing)
        }
        for (id, count) in counters { try base.updateSignCount(id: id, to: count) }
        saved.removeAll()
        counters.removeAll()
    }

    private func withCounter(_ record: CredentialRecord) -> CredentialRecord {
        var record = record
        if let count = counters[record.id] { record.signCount = count }
        return record
    }
}
