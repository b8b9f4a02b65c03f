import VauthCrypto

/// Where the authenticator keeps credentials. The in-memory store below serves tests and the
/// throwaway demo; the encrypted file keystore implements the same protocol.
///
/// Every mutating call is durable when it returns: a crash afterwards must not lose the change.
public protocol CredentialStore: AnyObject {
    /// The credential with `id`, if it exists and belongs to `rpId`.
    func credential(id: [UInt8], rpId: String) throws -> CredentialRecord?
    /// The credential with `id`, whatever its RP (U2F authenticate names no RP ID).
    func credential(id: [UInt8]) throws -> CredentialRecord?
    /// The discoverable credentials of `rpId`, newest first, as summaries: a store with many
    /// credentials need not decrypt them all to answer.
    func discoverableCredentials(rpId: String) throws -> [CredentialSummary]
    /// Every credential, for listing and export.
    func allCredentials() throws -> [CredentialRecord]
    /// Adds `record`; when `replacing` names an existing credential, removes it in the same write
    /// (CTAP 2.2 §6.1.2: a new discoverable credential replaces the one for the same RP and user).
    func save(_ record: CredentialRecord, replacing: [UInt8]?) throws
    /// Records a credential's new signature counter.
    func updateSignCount(id: [UInt8], to count: UInt32) throws
    /// Removes a credential; false when there was none with that id.
    @discardableResult func delete(id: [UInt8]) throws -> Bool
}

extension CredentialStore {
    /// The default looks through every credential; stores with an index answer directly.
    public func credential(id: [UInt8]) throws -> CredentialRecord? {
        try allCredentials().first { $0.id == id }
    }
}

/// What a store can say about a credential without decrypting it: enough to choose among
/// discoverable credentials (newest first) and to apply credProtect.
public struct CredentialSummary: Equatable, Sendable {
    public var id: [UInt8]
    /// ``userHandleDigest(_:)`` of the user handle: enough to find the credential a new
    /// discoverable one replaces, without keeping the handle itself in an index.
    public var userHandleDigest: [UInt8]
    public var createdAt: Int64
    public var protection: CredentialProtection

    public init(id: [UInt8], userHandleDigest: [UInt8], createdAt: Int64, protection: CredentialProtection) {
        self.id = id
        self.userHandleDigest = userHandleDigest
        self.createdAt = createdAt
        self.protection = protection
    }

    public init(_ record: CredentialRecord) {
        self.init(id: record.id, userHandleDigest: Self.userHandleDigest(record.user.id), createdAt: record.createdAt,
                  protection: record.protection)
    }

    /// The first 16 bytes of SHA-256 of a user handle.
    public static func userHandleDigest(_ userHandle: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(userHandle).prefix(16))
    }
}

/// A credential store in process memory: nothing survives the process.
public final class InMemoryCredentialStore: CredentialStore {
    private var records: [CredentialRecord] = []

    public init(_ records: [CredentialRecord] = []) {
        self.records = records
    }

    public func credential(id: [UInt8], rpId: String) -> CredentialRecord? {
        records.first { $0.id == id && $0.rpId == rpId }
    }

    public func credential(id: [UInt8]) -> CredentialRecord? {
        records.first { $0.id == id }
    }

    public func discoverableCredentials(rpId: String) -> [CredentialSummary] {
        records.enumerated()
            .filter { $0.element.discoverable && $0.element.rpId == rpId }
            .sorted { ($0.element.createdAt, $0.offset) > ($1.element.createdAt, $1.offset) }
            .map { CredentialSummary($0.element) }
    }

    public func allCredentials() -> [CredentialRecord] { records }

    public func save(_ record: CredentialRecord, replacing: [UInt8]?) {
        if let replacing { records.removeAll { $0.id == replacing } }
        records.removeAll { $0.id == record.id }
        records.append(record)
    }

    public func updateSignCount(id: [UInt8], to count: UInt32) {
        for index in records.indices where records[index].id == id { records[index].signCount = count }
    }

    @discardableResult public func delete(id: [UInt8]) -> Bool {
        let before = records.count
        records.removeAll { $0.id == id }
        return records.count != before
    }
}
