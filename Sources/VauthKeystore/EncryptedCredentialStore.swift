import VauthAuthenticator

/// The ``CredentialStore`` the authenticator uses, over an open ``KeystoreFile``.
public final class EncryptedCredentialStore: CredentialStore {
    public let file: KeystoreFile

    public init(file: KeystoreFile) {
        self.file = file
    }

    public func credential(id: [UInt8], rpId: String) throws -> CredentialRecord? {
        try file.record(id: id, rpId: rpId)
    }

    public func credential(id: [UInt8]) throws -> CredentialRecord? {
        try file.record(id: id, rpId: nil)
    }

    public func discoverableCredentials(rpId: String) throws -> [CredentialSummary] {
        try file.discoverableSummaries(rpId: rpId)
    }

    public func allCredentials() throws -> [CredentialRecord] {
        try file.allRecords()
    }

    public func save(_ record: CredentialRecord, replacing: [UInt8]?) throws {
        try file.insert([record], replacing: replacing.map { [$0] } ?? [])
    }

    public func updateSignCount(id: [UInt8], to count: UInt32) throws {
        try file.updateSignCount(id: id, to: count)
    }

    @discardableResult public func delete(id: [UInt8]) throws -> Bool {
        try file.delete(ids: [id]) > 0
    }
}

/// The ``PINStateStore`` of `vauth serve`: the PIN state sealed in the keystore's identity
/// section, so a wrong PIN counts against the retries even across a restart.
public final class KeystorePINStateStore: PINStateStore {
    public let file: KeystoreFile

    public init(file: KeystoreFile) {
        self.file = file
    }

    public func loadPINState() throws -> PINState { file.pinState }
    public func savePINState(_ state: PINState) throws { try file.setPINState(state) }
}
