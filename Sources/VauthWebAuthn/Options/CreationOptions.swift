/// `PublicKeyCredentialCreationOptions` (WebAuthn L3 §5.4), decoded from its JSON form
/// (`PublicKeyCredentialCreationOptionsJSON`, what `PublicKeyCredential.parseCreationOptionsFromJSON()`
/// accepts and what RP libraries send).
///
/// Required members missing, members of the wrong JSON type and binary members that are not
/// base64url are ``WebAuthnClientError/Kind/syntax`` errors naming the member; a user handle
/// outside 1–64 bytes is a ``WebAuthnClientError/Kind/type`` error (L3 §5.1.3). Unknown
/// members are ignored, and so are unknown values of the DOMString enumerations (L3 §2.1.1).
public struct PublicKeyCredentialCreationOptions: Equatable, Sendable {
    public var rp: PublicKeyCredentialRpEntity
    public var user: PublicKeyCredentialUserEntity
    public var challenge: [UInt8]
    /// In the RP's order. Empty means the spec's default, ES256 then RS256 (L3 §5.1.3).
    public var pubKeyCredParams: [PublicKeyCredentialParameters]
    /// Milliseconds; read for completeness, never waited on (the simulated user answers at once).
    public var timeout: Int?
    public var excludeCredentials: [PublicKeyCredentialDescriptor]
    public var authenticatorSelection: AuthenticatorSelectionCriteria?
    public var hints: [String]
    public var attestation: AttestationConveyancePreference
    public var attestationFormats: [String]
    public var extensions: RegistrationExtensionInputs

    public init(rp: PublicKeyCredentialRpEntity, user: PublicKeyCredentialUserEntity, challenge: [UInt8],
                pubKeyCredParams: [PublicKeyCredentialParameters], timeout: Int? = nil,
                excludeCredentials: [PublicKeyCredentialDescriptor] = [], authenticatorSelection: AuthenticatorSelectionCriteria? = nil,
                hints: [String] = [], attestation: AttestationConveyancePreference = .none, attestationFormats: [String] = [],
                extensions: RegistrationExtensionInputs = .init()) {
        self.rp = rp
        self.user = user
        self.challenge = challenge
        self.pubKeyCredParams = pubKeyCredParams
        self.timeout = timeout
        self.excludeCredentials = excludeCredentials
        self.authenticatorSelection = authenticatorSelection
        self.hints = hints
        self.attestation = attestation
        self.attestationFormats = attestationFormats
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
        rp = try PublicKeyCredentialRpEntity(try json.required("rp"))
        user = try PublicKeyCredentialUserEntity(try json.required("user"))
        challenge = try json.required("challenge").base64url()
        var parameters: [PublicKeyCredentialParameters] = []
        for item in try json.required("pubKeyCredParams").array() { parameters.append(try PublicKeyCredentialParameters(item)) }
        pubKeyCredParams = parameters
        timeout = try json.optional("timeout")?.integer(in: 0...Int(UInt32.max))
        var excluded: [PublicKeyCredentialDescriptor] = []
        for item in try json.optional("excludeCredentials")?.array() ?? .empty { excluded.append(try PublicKeyCredentialDescriptor(item)) }
        excludeCredentials = excluded
        authenticatorSelection = try json.optional("authenticatorSelection").map { (member) throws(WebAuthnClientError) in
            try AuthenticatorSelectionCriteria(member)
        }
        hints = try json.optional("hints")?.stringArray() ?? []
        attestation = try json.optional("attestation")?.enumeration(AttestationConveyancePreference.self) ?? .none
        attestationFormats = try json.optional("attestationFormats")?.stringArray() ?? []
        extensions = try RegistrationExtensionInputs(try json.optional("extensions"))
    }
}
