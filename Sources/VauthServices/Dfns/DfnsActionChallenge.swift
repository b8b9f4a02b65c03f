import VauthWebAuthn

/// A user action or login challenge (`/auth/action/init`, `/auth/login/init`): what to sign, which
/// credentials may sign it, and which kinds serve as which factor.
public struct DfnsActionChallenge: Sendable {
    public struct AllowedCredential: Sendable {
        public var id: [UInt8]
        public var idText: String
        /// For `allowCredentials.passwordProtectedKey`: the key, encrypted under the password.
        public var encryptedPrivateKey: String?
    }

    /// One `supportedCredentialKinds` entry: `{kind, factor: first | second | either,
    /// requiresSecondFactor}`.
    public struct SupportedKind: Sendable {
        public var kind: String
        public var factor: String
        public var requiresSecondFactor: Bool

        func serves(asSecondFactor second: Bool) -> Bool {
            factor == "either" || factor == (second ? "second" : "first")
        }
    }

    public var challenge: String
    public var challengeIdentifier: String
    public var keyCredentials: [AllowedCredential]
    public var webauthnCredentials: [AllowedCredential]
    public var passwordProtectedKeys: [AllowedCredential]
    /// `required`, `preferred` or `discouraged`, passed to the WebAuthn assertion.
    public var userVerification: String?
    /// Absent in some challenges (older ones, hand-made ones): then every kind may serve as a first
    /// factor and none requires a second.
    public var supportedKinds: [SupportedKind]?

    public init(json: JSONValue) throws(DfnsError) {
        let root = try DfnsJSONFields(json, path: "challenge")
        challenge = try root.nonEmptyString("challenge")
        challengeIdentifier = try root.nonEmptyString("challengeIdentifier")
        userVerification = try root.optionalString("userVerification")
        let allow = try root.object("allowCredentials")
        func list(_ name: String, encrypted: Bool = false) throws(DfnsError) -> [AllowedCredential] {
            var out: [AllowedCredential] = []
            for (index, item) in (try allow.optionalArray(name) ?? []).enumerated() {
                let path = "challenge.allowCredentials.\(name)[\(index)]"
                let fields = try DfnsJSONFields(item, path: path)
                let idText = try fields.string("id")
                out.append(AllowedCredential(id: try DfnsJSONFields.credentialId(idText, path: path + ".id"), idText: idText,
                                             encryptedPrivateKey: encrypted ? try fields.nonEmptyString("encryptedPrivateKey") : nil))
            }
            return out
        }
        keyCredentials = try list("key")
        webauthnCredentials = try list("webauthn")
        passwordProtectedKeys = try list("passwordProtectedKey", encrypted: true)
        if let entries = try root.optionalArray("supportedCredentialKinds") {
            var kinds: [SupportedKind] = []
            for (index, item) in entries.enumerated() {
                let path = "challenge.supportedCredentialKinds[\(index)]"
                let fields = try DfnsJSONFields(item, path: path)
                let factor = try fields.string("factor")
                guard ["first", "second", "either"].contains(factor) else { throw .malformed("\(path).factor must be first, second or either") }
                var requires = false
                if let member = item["requiresSecondFactor"], member != .null {
                    guard let flag = member.boolValue else { throw .malformed("\(path).requiresSecondFactor must be true or false") }
                    requires = flag
                }
                kinds.append(SupportedKind(kind: try fields.nonEmptyString("kind"), factor: factor, requiresSecondFactor: requires))
            }
            supportedKinds = kinds
        }
    }

    /// Whether `kind` may serve as the first (or second) factor of this challenge.
    func supports(_ kind: DfnsCredentialKind, asSecondFactor second: Bool) -> Bool {
        guard let supportedKinds else { return !second }
        return supportedKinds.contains { $0.kind == kind.rawValue && $0.serves(asSecondFactor: second) }
    }

    /// Whether signing with `kind` as the first factor also needs a second one.
    func requiresSecondFactor(after kind: DfnsCredentialKind) -> Bool {
        supportedKinds?.contains { $0.kind == kind.rawValue && $0.serves(asSecondFactor: false) && $0.requiresSecondFactor } ?? false
    }

    /// `supportedCredentialKinds` for messages.
    var supportedDescription: String {
        guard let supportedKinds else { return "not given" }
        return supportedKinds.map { "\($0.kind) (\($0.factor)\($0.requiresSecondFactor ? ", needs a second factor" : ""))" }
            .joined(separator: ", ")
    }
}
