import VauthWebAuthn

/// The credential kinds Dfns names (contract: "The registration challenge").
public enum DfnsCredentialKind: String, Sendable, CaseIterable {
    case fido2 = "Fido2"
    case key = "Key"
    case password = "Password"
    case totp = "Totp"
    case recoveryKey = "RecoveryKey"
    case passwordProtectedKey = "PasswordProtectedKey"
}

/// A registration challenge, as `/auth/registration/init`, `/auth/registration/delegated` and
/// `/auth/credentials/init` return it, or a recover-user challenge (`/auth/recover/user/init`),
/// which is the same plus `allowedRecoveryCredentials`.
public struct DfnsRegistrationChallenge: Sendable {
    public struct User: Sendable {
        /// The Dfns user id (`us-…`); WebAuthn gets its UTF-8 bytes as the user handle.
        public var id: String
        public var name: String
        public var displayName: String
    }

    /// A credential the user already has, which a Fido2 or Key registration must not duplicate.
    public struct ExcludedCredential: Sendable {
        public var type: String
        public var id: [UInt8]
        public var idText: String
        public var transports: [String]?
    }

    /// A recovery credential the recover challenge allows, with its encrypted private key.
    public struct RecoveryCredential: Sendable {
        public var id: String
        public var encryptedRecoveryKey: String
    }

    public var user: User
    public var challenge: String
    public var temporaryAuthenticationToken: String?
    public var rp: (id: String, name: String)?
    public var firstFactorKinds: [String]
    public var secondFactorKinds: [String]
    public var authenticatorSelection: JSONValue?
    public var attestation: String?
    public var pubKeyCredParams: JSONValue?
    public var excludeCredentials: [ExcludedCredential]
    public var allowedRecoveryCredentials: [RecoveryCredential]
    /// The `otpauth://totp/…` URI a Totp credential enrols (the SDK's challenge types carry it).
    public var otpUrl: String?

    public init(json: JSONValue) throws(DfnsError) {
        let root = try DfnsJSONFields(json, path: "challenge")
        let user = try root.object("user")
        let name = try user.nonEmptyString("name")
        self.user = User(id: try user.nonEmptyString("id"), name: name, displayName: try user.optionalString("displayName") ?? name)
        challenge = try root.nonEmptyString("challenge")
        temporaryAuthenticationToken = try root.optionalString("temporaryAuthenticationToken")
        if let rp = try root.optionalObject("rp") {
            let id = try rp.nonEmptyString("id")
            self.rp = (id, try rp.optionalString("name") ?? id)
        }
        let kinds = try root.object("supportedCredentialKinds")
        firstFactorKinds = try kinds.strings("firstFactor")
        secondFactorKinds = try kinds.optionalArray("secondFactor") == nil ? [] : try kinds.strings("secondFactor")
        authenticatorSelection = json["authenticatorSelection"].flatMap { $0 == .null ? nil : $0 }
        attestation = try root.optionalString("attestation")
        pubKeyCredParams = json["pubKeyCredParams"].flatMap { $0 == .null ? nil : $0 }
        var excluded: [ExcludedCredential] = []
        for (index, item) in (try root.optionalArray("excludeCredentials") ?? []).enumerated() {
            let path = "challenge.excludeCredentials[\(index)]"
            let fields = try DfnsJSONFields(item, path: path)
            let idText = try fields.string("id")
            var transports: [String]?
            if try fields.optionalArray("transports") != nil { transports = try fields.strings("transports") }
            excluded.append(ExcludedCredential(type: try fields.optionalString("type") ?? "public-key",
                                               id: try DfnsJSONFields.credentialId(idText, path: path + ".id"),
                                               idText: idText, transports: transports))
        }
        excludeCredentials = excluded
        var recovery: [RecoveryCredential] = []
        for (index, item) in (try root.optionalArray("allowedRecoveryCredentials") ?? []).enumerated() {
            let fields = try DfnsJSONFields(item, path: "challenge.allowedRecoveryCredentials[\(index)]")
            recovery.append(RecoveryCredential(id: try fields.nonEmptyString("id"),
                                               encryptedRecoveryKey: try fields.nonEmptyString("encryptedRecoveryKey")))
        }
        allowedRecoveryCredentials = recovery
        otpUrl = try root.optionalString("otpUrl").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Refuses a first-factor kind the challenge does not offer.
    func requireFirstFactor(_ kind: DfnsCredentialKind) throws(DfnsError) {
        guard firstFactorKinds.contains(kind.rawValue) else {
            throw .refused("the challenge's supportedCredentialKinds.firstFactor (\(firstFactorKinds.joined(separator: ", "))) "
                           + "does not include \(kind.rawValue)")
        }
    }

    /// Refuses a second-factor kind the challenge does not offer.
    func requireSecondFactor(_ kind: DfnsCredentialKind) throws(DfnsError) {
        guard secondFactorKinds.contains(kind.rawValue) else {
            let offered = secondFactorKinds.isEmpty ? "none" : secondFactorKinds.joined(separator: ", ")
            throw .refused("the challenge's supportedCredentialKinds.secondFactor (\(offered)) does not include \(kind.rawValue)")
        }
    }
}
