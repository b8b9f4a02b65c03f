import VauthCrypto

/// The result of `navigator.credentials.create()` as `PublicKeyCredential.toJSON()` gives it
/// (`RegistrationResponseJSON`, L3 §5.1 and §5.2.1): what an RP's server verifies.
///
/// The typed members are the raw values; ``json`` is the document, binary members base64url
/// without padding, in Chromium's member order (top level `id, rawId, type,
/// authenticatorAttachment, clientExtensionResults, response`; `response` members alphabetical).
public struct RegistrationResponseJSON: Sendable {
    /// The credential id.
    public var rawId: [UInt8]
    public var authenticatorAttachment: AuthenticatorAttachment
    public var clientExtensionResults: ClientExtensionResults
    /// The bytes the client data hash was computed over (L3 §5.8.1.1).
    public var clientDataJSON: [UInt8]
    /// As carried in the attestation object (with a zero AAGUID for conveyance `none`).
    public var authenticatorData: [UInt8]
    public var transports: [String]
    /// SubjectPublicKeyInfo DER of the credential public key (`getPublicKey()`, L3 §5.2.1.1).
    public var publicKey: [UInt8]?
    /// COSE algorithm identifier (`getPublicKeyAlgorithm()`).
    public var publicKeyAlgorithm: Int
    /// The CBOR attestation object (L3 §6.5.4).
    public var attestationObject: [UInt8]

    public init(rawId: [UInt8], authenticatorAttachment: AuthenticatorAttachment, clientExtensionResults: ClientExtensionResults,
                clientDataJSON: [UInt8], authenticatorData: [UInt8], transports: [String], publicKey: [UInt8]?,
                publicKeyAlgorithm: Int, attestationObject: [UInt8]) {
        self.rawId = rawId
        self.authenticatorAttachment = authenticatorAttachment
        self.clientExtensionResults = clientExtensionResults
        self.clientDataJSON = clientDataJSON
        self.authenticatorData = authenticatorData
        self.transports = transports
        self.publicKey = publicKey
        self.publicKeyAlgorithm = publicKeyAlgorithm
        self.attestationObject = attestationObject
    }

    /// The credential id, base64url (`PublicKeyCredential.id`).
    public var id: String { Base64.urlEncode(rawId) }

    public var json: JSONValue {
        var response: [(String, JSONValue)] = [
            ("attestationObject", .string(Base64.urlEncode(attestationObject))),
            ("authenticatorData", .string(Base64.urlEncode(authenticatorData))),
            ("clientDataJSON", .string(Base64.urlEncode(clientDataJSON))),
        ]
        if let publicKey { response.append(("publicKey", .string(Base64.urlEncode(publicKey)))) }
        response.append(("publicKeyAlgorithm", .number(Double(publicKeyAlgorithm))))
        response.append(("transports", .array(transports.map(JSONValue.string))))
        return [
            "id": .string(id),
            "rawId": .string(id),
            "type": "public-key",
            "authenticatorAttachment": .string(authenticatorAttachment.rawValue),
            "clientExtensionResults": clientExtensionResults.json,
            "response": .object(response),
        ]
    }

    /// ``json`` as text: `.pretty` (two-space indent) or `.compact` (one line).
    public func serialized(_ style: JSONSerializer.Style = .pretty) -> String {
        json.serialized(style)
    }
}
