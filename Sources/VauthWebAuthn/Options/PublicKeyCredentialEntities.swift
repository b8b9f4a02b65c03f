// The entities of creation options (WebAuthn L3 §5.4.2, §5.4.3), decoded from their JSON forms
// (binary members as base64url strings).

/// `PublicKeyCredentialRpEntity` (L3 §5.4.2).
public struct PublicKeyCredentialRpEntity: Equatable, Sendable {
    /// The RP ID the RP asks for; `nil` means the origin's effective domain.
    public var id: String?
    public var name: String

    public init(id: String? = nil, name: String) {
        self.id = id
        self.name = name
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        id = try json.optional("id")?.string()
        name = try json.required("name").string()
    }
}

/// `PublicKeyCredentialUserEntityJSON` (L3 §5.4.3): `id` is the user handle.
public struct PublicKeyCredentialUserEntity: Equatable, Sendable {
    public var id: [UInt8]
    public var name: String
    public var displayName: String

    public init(id: [UInt8], name: String, displayName: String) {
        self.id = id
        self.name = name
        self.displayName = displayName
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        let idMember = try json.required("id")
        id = try idMember.base64url()
        name = try json.required("name").string()
        displayName = try json.required("displayName").string()
        // L3 §5.1.3: a user handle is 1 to 64 bytes, else TypeError.
        guard (1...64).contains(id.count) else { throw .type("\(idMember.path) must be 1 to 64 bytes, not \(id.count)") }
    }
}
