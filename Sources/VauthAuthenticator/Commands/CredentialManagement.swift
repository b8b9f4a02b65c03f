import VauthCBOR
import VauthCrypto

/// authenticatorCredentialManagement (0x0A) parameters (CTAP 2.2 §6.8).
public struct CredentialManagementRequest: Sendable {
    public var subCommand: Int
    /// The subCommandParams map as sent; the pinUvAuthParam covers its encoding.
    public var subCommandParams: CBORValue?
    public var pinUvAuthProtocol: Int?
    public var pinUvAuthParam: [UInt8]?

    public init(subCommand: Int, subCommandParams: CBORValue? = nil, pinUvAuthProtocol: Int? = nil, pinUvAuthParam: [UInt8]? = nil) {
        self.subCommand = subCommand
        self.subCommandParams = subCommandParams
        self.pinUvAuthProtocol = pinUvAuthProtocol
        self.pinUvAuthParam = pinUvAuthParam
    }

    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "credentialManagement")
        subCommand = try map.required(0x01, "subCommand", \.intValue)
        subCommandParams = try map.optional(0x02, "subCommandParams") { $0.mapValue != nil ? $0 : nil }
        pinUvAuthProtocol = try map.optional(0x03, "pinUvAuthProtocol", \.intValue)
        pinUvAuthParam = try map.optional(0x04, "pinUvAuthParam", \.bytesValue)
    }

    public var cborValue: CBORValue {
        var map: [CBORValue: CBORValue] = [0x01: .int(subCommand)]
        if let subCommandParams { map[0x02] = subCommandParams }
        if let pinUvAuthProtocol { map[0x03] = .int(pinUvAuthProtocol) }
        if let pinUvAuthParam { map[0x04] = .bytes(pinUvAuthParam) }
        return .map(map)
    }

    /// The message a pinUvAuthParam authenticates: subCommand ‖ subCommandParams (§6.8.2).
    var authenticatedMessage: [UInt8] { [UInt8(truncatingIfNeeded: subCommand)] + (subCommandParams?.encoded ?? []) }

    public enum SubCommand {
        public static let getCredsMetadata = 0x01
        public static let enumerateRPsBegin = 0x02
        public static let enumerateRPsGetNextRP = 0x03
        public static let enumerateCredentialsBegin = 0x04
        public static let enumerateCredentialsGetNextCredential = 0x05
        public static let deleteCredential = 0x06
        public static let updateUserInformation = 0x07
    }
}

/// What enumerateRPsGetNextRP / enumerateCredentialsGetNextCredential continue (§6.8.3, §6.8.4).
/// The two are kept apart, so a platform may enumerate each RP's credentials between RPs.
struct PendingEnumeration {
    var relyingParties: [RelyingPartyEntity] = []
    var credentials: [CredentialRecord] = []
}

extension Authenticator {
    /// How many discoverable credentials the keystore is meant for: metadata reports the room
    /// left below it. (The keystore itself has no fixed capacity.)
    public static let discoverableCredentialCapacity = 10_000

    /// authenticatorCredentialManagement (CTAP 2.2 §6.8). Every subcommand except the
    /// get-next ones needs a pinUvAuthToken with the cm permission.
    ///
    /// `preview` marks the FIDO_2_1_PRE command code (0x41): its platforms predate permissions
    /// and use a getPinToken token, which is accepted there in place of the cm permission.
    public func credentialManagement(_ request: CredentialManagementRequest, preview: Bool = false) throws(CTAPError) -> CBORValue {
        typealias Sub = CredentialManagementRequest.SubCommand
        let params = request.subCommandParams.map { CTAPMapView($0) }
        switch request.subCommand {
        case Sub.getCredsMetadata:
            pendingCredentialEnumeration = PendingEnumeration()
            try authorize(request, rpId: nil, preview: preview)
            let count = try discoverableRecords().count
            return [0x01: .int(count), 0x02: .int(max(0, Self.discoverableCredentialCapacity - count))]
        case Sub.enumerateRPsBegin:
            pendingCredentialEnumeration.relyingParties = []
            try authorize(request, rpId: nil, preview: preview)
            var seen = Set<String>()
            let rps = try discoverableRecords().compactMap { seen.insert($0.rpId).inserted ? $0.rp : nil }
            guard let first = rps.first else { throw CTAPError(.noCredentials, "no discoverable credentials") }
            pendingCredentialEnumeration.relyingParties = Array(rps.dropFirst())
            return [0x03: first.cborValue, 0x04: .bytes(SHA256.hash(Array(first.id.utf8))), 0x05: .int(rps.count)]
        case Sub.enumerateRPsGetNextRP:
            guard !pendingCredentialEnumeration.relyingParties.isEmpty else {
                throw CTAPError(.notAllowed, "no enumerateRPsBegin to continue")
            }
            let next = pendingCredentialEnumeration.relyingParties.removeFirst()
            return [0x03: next.cborValue, 0x04: .bytes(SHA256.hash(Array(next.id.utf8)))]
        case Sub.enumerateCredentialsBegin:
            pendingCredentialEnumeration.credentials = []
            guard let hash = try params?.bytes(0x01, "rpIDHash") else { throw CTAPError(.missingParameter, "rpIDHash is missing") }
            let records = try discoverableRecords().filter { SHA256.hash(Array($0.rpId.utf8)) == hash }
            try authorize(request, rpId: records.first?.rpId, preview: preview)
            guard let first = records.first else { throw CTAPError(.noCredentials, "no discoverable credentials for that RP") }
            pendingCredentialEnumeration.credentials = Array(records.dropFirst())
            var response = try describe(first)
            response[0x09] = .int(records.count)
            return .map(response)
        case Sub.enumerateCredentialsGetNextCredential:
            guard !pendingCredentialEnumeration.credentials.isEmpty else {
                throw CTAPError(.notAllowed, "no enumerateCredentialsBegin to continue")
            }
            let next = pendingCredentialEnumeration.credentials.removeFirst()
            return .map(try describe(next))
        case Sub.deleteCredential:
            pendingCredentialEnumeration = PendingEnumeration()
            let record = try namedCredential(params)
            try authorize(request, rpId: record?.rpId, preview: preview)
            guard let record else { throw CTAPError(.noCredentials, "no such credential") }
            do { try store.delete(id: record.id) } catch { throw .store(error, "delete the credential") }
            return .map([:])
        case Sub.updateUserInformation:
            pendingCredentialEnumeration = PendingEnumeration()
            let record = try namedCredential(params)
            guard let userValue = params?.map.entries[0x03] else { throw CTAPError(.missingParameter, "user is missing") }
            let user = try UserEntity(cbor: userValue)
            try authorize(request, rpId: record?.rpId, preview: preview)
            guard var record else { throw CTAPError(.noCredentials, "no such credential") }
            guard record.user.id == user.id else { throw CTAPError(.invalidParameter, "user.id differs from the credential's user handle") }
            // Stored names are truncated as makeCredential stores them (NameTruncation).
            record.user = user.truncatedForStorage
            do { try store.save(record, replacing: record.id) } catch { throw .store(error, "update the user") }
            return .map([:])
        default:
            throw CTAPError(.invalidSubcommand, "credentialManagement subCommand \(request.subCommand) is not supported")
        }
    }

    /// pinUvAuthParam checks of §6.8.2–§6.8.6: present (else PUAT_REQUIRED), a supported
    /// protocol, verifies over subCommand ‖ subCommandParams, cm permission, and an RP binding
    /// that matches (or none, for the whole-authenticator subcommands).
    private func authorize(_ request: CredentialManagementRequest, rpId: String?, preview: Bool) throws(CTAPError) {
        guard let param = request.pinUvAuthParam else { throw CTAPError(.puatRequired, "credentialManagement needs a pinUvAuthParam") }
        guard let number = request.pinUvAuthProtocol else { throw CTAPError(.missingParameter, "pinUvAuthProtocol is missing") }
        guard let pinUvAuthProtocol = PinUvAuthProtocol(rawValue: number) else {
            throw CTAPError(.invalidParameter, "PIN/UV auth protocol \(number) is not supported")
        }
        guard let token = powerCycleState.token, now() - token.issuedAt <= PinUvAuthTokenState.maximumLifetime else {
            throw CTAPError(.pinAuthInvalid, "no pinUvAuthToken is in use")
        }
        guard token.verify(request.authenticatedMessage, signature: param, protocol: pinUvAuthProtocol) else {
            throw CTAPError(.pinAuthInvalid, "pinUvAuthParam does not verify")
        }
        guard token.permissions.contains(.credentialManagement) || (preview && token.isLegacy) else {
            throw CTAPError(.pinAuthInvalid, "the pinUvAuthToken lacks the cm permission")
        }
        if let bound = token.rpId, bound != rpId {
            throw CTAPError(.pinAuthInvalid, "the pinUvAuthToken is bound to another RP")
        }
    }

    /// Discoverable WebAuthn credentials (not a service's raw key pairs), oldest first, so
    /// enumeration order is stable.
    private func discoverableRecords() throws(CTAPError) -> [CredentialRecord] {
        do {
            return try store.allCredentials().filter { $0.discoverable && $0.kind == .webAuthn }.sorted { $0.createdAt < $1.createdAt }
        } catch {
            throw .store(error, "read the credentials")
        }
    }

    private func namedCredential(_ params: CTAPMapView?) throws(CTAPError) -> CredentialRecord? {
        guard let value = params?.map.entries[0x02] else { throw CTAPError(.missingParameter, "credentialID is missing") }
        let descriptor = try CredentialDescriptor(cbor: value)
        do { return try store.credential(id: descriptor.id).flatMap { $0.discoverable && $0.kind == .webAuthn ? $0 : nil } } catch {
            throw .store(error, "look up the credential")
        }
    }

    /// user, credentialID, publicKey and credProtect of one credential (§6.8.4).
    private func describe(_ record: CredentialRecord) throws(CTAPError) -> [CBORValue: CBORValue] {
        let publicKey: COSEKey
        do { publicKey = try record.signingKey().publicKey.coseKey() } catch { throw CTAPError(.other, "public key: \(error)") }
        return [
            0x06: record.user.cborValue(includeIdentifyingInfo: true),
            0x07: CredentialDescriptor(id: record.id).cborValue,
            0x08: publicKey.cborValue,
            0x0A: .int(record.protection.rawValue),
        ]
    }
}

/// A subCommandParams map, read with CTAP's error codes.
struct CTAPMapView {
    let map: CTAPMap
    init(_ value: CBORValue) { map = (try? CTAPMap(value, context: "subCommandParams")) ?? CTAPMap.empty }
    func bytes(_ key: CBORValue, _ name: String) throws(CTAPError) -> [UInt8]? { try map.optional(key, name, \.bytesValue) }
}
