import VauthCBOR

/// credProtect levels (CTAP 2.2 §12.1).
public enum CredentialProtection: Int, Sendable, Codable, CaseIterable {
    /// Usable without UV, discoverable without an allow list.
    case userVerificationOptional = 1
    /// Without UV, usable only when the RP names it in an allow list.
    case userVerificationOptionalWithCredentialIDList = 2
    /// Usable only with UV.
    case userVerificationRequired = 3
}

/// credProtect (CTAP 2.2 §12.1): the level is stored with the credential and echoed in the
/// authenticator data. Applying it (hiding a credential from discovery or from an exclude list
/// without UV) is the core's job, since credentialManagement, U2F and the keystore's index read
/// the level too: see ``Authenticator/isUsable(_:userVerified:allowListed:)``.
public enum CredProtectExtension: AuthenticatorExtension {
    public static let identifier = "credProtect"

    public static func makeCredentialInput(from value: CBORValue) throws(CTAPError) -> CredentialProtection? {
        let level = try typed(value, \.intValue)
        guard let known = CredentialProtection(rawValue: level) else {
            throw CTAPError(.invalidParameter, "credProtect level \(level) is not 1, 2 or 3")
        }
        return known
    }

    public static func encodeMakeCredentialInput(_ input: CredentialProtection) -> CBORValue { .int(input.rawValue) }

    public static func makeCredential(_ input: CredentialProtection, _ context: inout MakeCredentialExtensionContext) throws(CTAPError) -> CBORValue? {
        context.record.protection = input
        return .int(input.rawValue)
    }
}

extension MakeCredentialExtensionInputs {
    /// credProtect (CTAP 2.2 §12.1): the level to make the credential with.
    public var credProtect: CredentialProtection? {
        get { self[CredProtectExtension.self] }
        set { self[CredProtectExtension.self] = newValue }
    }

    public init(credProtect: CredentialProtection?) {
        self.init()
        self.credProtect = credProtect
    }
}
