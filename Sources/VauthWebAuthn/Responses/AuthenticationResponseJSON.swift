import VauthCrypto

/// The result of `navigator.credentials.get()` as `PublicKeyCredential.toJSON()` gives it
/// (`AuthenticationResponseJSON`, L3 §5.1 and §5.2.2), in the member order of
/// ``RegistrationResponseJSON``; `response.userHandle` only when the authenticator returned a
/// user (a discoverable credential), as Chromium omits a null one.
public struct AuthenticationResponseJSON: Sendable {
    public var rawId: [UInt8]
    public var authenticatorAttachment: AuthenticatorAttachment
    public var clientExtensionResults: ClientExtensionResults
    public var clientDataJSON: [UInt8]
    public var authenticatorData: [UInt8]
    /// Over authenticatorData ‖ SHA-256(clientDataJSON) (L3 §6.3.3).
    public var signature: [UInt8]
    public var userHandle: [UInt8]?

    public init(rawId: [UInt8], authenticatorAttachment: AuthenticatorAttachment, clientExtensionResults: ClientExtensionResults,
                clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8], userHandle: [UInt8]?) {
        self.rawId = rawId
        self.authenticatorAttachment = authenticatorAttachment
        self.clientExtensionResults = clientExtensionResults
        self.clientDataJSON = clientDataJSON
        self.authenticatorData = authenticatorData
        self.signature = signature
        self.userHandle = userHandle
    }

    /// The credential id, base64url.
    public var id: String { Base64.urlEncode(rawId) }

    public var json: JSONValue {
        var response: [(String, JSONValue)] = [
            ("authenticatorData", .string(Base64.urlEncode(authenticatorData))),
            ("clientDataJSON", .string(Base64.urlEncode(clientDataJSON))),
            ("signature", .string(Base64.urlEncode(signature))),
        ]
        if let userHandle { response.append(("userHandle", .string(Base64.urlEncode(userHandle)))) }
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
