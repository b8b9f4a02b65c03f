import VauthWebAuthn

/// A user action or login challenge (`/auth/action/init`, `/auth/login/init`): what to sign, and
/// which credentials may sign it.
public struct DfnsActionChallenge: Sendable {
    public struct AllowedCredential: Sendable {
        public var id: [UInt8]
        public var idText: String
    }

    public var challenge: String
    public var challengeIdentifier: String
    public var keyCredentials: [AllowedCredential]
    public var webauthnCredentials: [AllowedCredential]
    /// `required`, `preferred` or `discouraged`, passed to the WebAuthn assertion.
    public var userVerification: String?

    public init(json: JSONValue) throws(DfnsError) {
        let root = try DfnsJSONFields(json, path: "challenge")
        challenge = try root.nonEmptyString("challenge")
        challengeIdentifier = try root.nonEmptyString("challengeIdentifier")
        userVerification = try root.optionalString("userVerification")
        let allow = try root.object("allowCredentials")
        func list(_ name: String) throws(DfnsError) -> [AllowedCredential] {
            var out: [AllowedCredential] = []
            for (index, item) in (try allow.optionalArray(name) ?? []).enumerated() {
                let path = "challenge.allowCredentials.\(name)[\(index)]"
                let idText = try DfnsJSONFields(item, path: path).string("id")
                out.append(AllowedCredential(id: try DfnsJSONFields.credentialId(idText, path: path + ".id"), idText: idText))
            }
            return out
        }
        keyCredentials = try list("key")
        webauthnCredentials = try list("webauthn")
    }
}
