import VauthCBOR

/// PublicKeyCredentialRpEntity (WebAuthn L3 §5.4.2).
public struct RelyingPartyEntity: Equatable, Sendable {
    public var id: String
    public var name: String?

    public init(id: String, name: String? = nil) {
        self.id = id
        self.name = name
    }

    var cborValue: CBORValue {
        var map: [CBORValue: CBORValue] = ["id": .text(id)]
        if let name { map["name"] = .text(name) }
        return .map(map)
    }

    init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "rp")
        id = try map.required("id", "id", \.textValue)
        name = try map.optional("name", "name", \.textValue)
        // icon was dropped from WebAuthn, but a present one must still be a string (CTAP 2.0 §5.1).
        _ = try map.optional("icon", "icon", \.textValue)
    }
}

/// PublicKeyCredentialUserEntity (WebAuthn L3 §5.4.3). `id` is the user handle, at most 64 bytes.
public struct UserEntity: Equatable, Sendable {
    public var id: [UInt8]
    public var name: String?
    public var displayName: String?

    public init(id: [UInt8], name: String? = nil, displayName: String? = nil) {
        self.id = id
        self.name = name
        self.displayName = displayName
    }

    /// The user map of a getAssertion response. Name and display name are identifying, so they are
    /// only included when the user was verified (CTAP 2.2 §6.2.2, "user" member).
    func cborValue(includeIdentifyingInfo: Bool) -> CBORValue {
        var map: [CBORValue: CBORValue] = ["id": .bytes(id)]
        if includeIdentifyingInfo {
            if let name { map["name"] = .text(name) }
            if let displayName { map["displayName"] = .text(displayName) }
        }
        return .map(map)
    }

    init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "user")
        id = try map.required("id", "id", \.bytesValue)
        guard (1...64).contains(id.count) else { throw CTAPError(.invalidLength, "user.id must be 1 to 64 bytes") }
        name = try map.optional("name", "name", \.textValue)
        displayName = try map.optional("displayName", "displayName", \.textValue)
        _ = try map.optional("icon", "icon", \.textValue)
    }
}

/// PublicKeyCredentialDescriptor (WebAuthn L3 §5.8.3).
public struct CredentialDescriptor: Equatable, Sendable {
    public var type: String
    public var id: [UInt8]
    public var transports: [String]?

    public init(id: [UInt8], type: String = "public-key", transports: [String]? = nil) {
        self.type = type
        self.id = id
        self.transports = transports
    }

    var cborValue: CBORValue {
        var map: [CBORValue: CBORValue] = ["type": .text(type), "id": .bytes(id)]
        if let transports { map["transports"] = .array(transports.map(CBORValue.text)) }
        return .map(map)
    }

    init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "credential descriptor")
        type = try map.required("type", "type", \.textValue)
        id = try map.required("id", "id", \.bytesValue)
        transports = try map.optional("transports", "transports") { $0.arrayValue?.compactMap(\.textValue) }
    }
}

/// One member of pubKeyCredParams (WebAuthn L3 §5.3).
public struct CredentialParameter: Equatable, Sendable {
    public var type: String
    public var algorithm: Int

    public init(algorithm: Int, type: String = "public-key") {
        self.type = type
        self.algorithm = algorithm
    }

    var cborValue: CBORValue { ["type": .text(type), "alg": .int(algorithm)] }

    init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "pubKeyCredParams entry")
        type = try map.required("type", "type", \.textValue)
        algorithm = try map.required("alg", "alg", \.intValue)
    }
}
