/// `PublicKeyCredentialRequestOptions` (WebAuthn L3 §5.5), decoded from its JSON form
/// (`PublicKeyCredentialRequestOptionsJSON`). Errors as for ``PublicKeyCredentialCreationOptions``.
public struct PublicKeyCredentialRequestOptions: Equatable, Sendable {
    public var challenge: [UInt8]
    /// Milliseconds; read, never waited on.
    public var timeout: Int?
    /// `nil` means the origin's effective domain (L3 §5.1.4.1).
    public var rpId: String?
    /// Empty means "any discoverable credential of the RP".
    public var allowCredentials: [PublicKeyCredentialDescriptor]
    public var userVerification: UserVerificationRequirement
    public var hints: [String]
    public var extensions: AuthenticationExtensionInputs

    public init(challenge: [UInt8], timeout: Int? = nil, rpId: String? = nil, allowCredentials: [PublicKeyCredentialDescriptor] = [],
                userVerification: UserVerificationRequirement = .preferred, hints: [String] = [],
                extensions: AuthenticationExtensionInputs = .init()) {
        self.challenge = challenge
        self.timeout = timeout
        self.rpId = rpId
        self.allowCredentials = allowCredentials
        self.userVerification = userVerification
        self.hints = hints
        self.extensions = extensions
    }

    /// Parses the JSON text of the options (or of `{"publicKey": options}`).
    public init(json: String) throws(WebAuthnClientError) {
        try self.init(json: try JSONParser.parse(json))
    }

    /// Parses the options from UTF-8 bytes, as read from a file (no `String` of the whole input).
    public init(jsonBytes: [UInt8]) throws(WebAuthnClientError) {
        try self.init(json: try JSONParser.parse(jsonBytes))
    }

    public init(json value: JSONValue) throws(WebAuthnClientError) {
        let json = try OptionsDocument.root(value)
        challenge = try json.required("challenge").base64url()
        timeout = try json.optional("timeout")?.integer(in: 0...Int(UInt32.max))
        rpId = try json.optional("rpId")?.string()
        var allowed: [PublicKeyCredentialDescriptor] = []
        for item in try json.optional("allowCredentials")?.array() ?? .empty { allowed.append(try PublicKeyCredentialDescriptor(item)) }
        allowCredentials = allowed
        userVerification = try json.optional("userVerification")?.enumeration(UserVerificationRequirement.self) ?? .preferred
        hints = try json.optional("hints")?.stringArray() ?? []
        extensions = try AuthenticationExtensionInputs(try json.optional("extensions"))
    }
}
