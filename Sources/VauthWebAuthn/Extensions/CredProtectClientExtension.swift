import VauthAuthenticator

/// The WebAuthn side of credProtect (CTAP 2.2 §12.1): `credentialProtectionPolicy` and
/// `enforceCredentialProtectionPolicy` become the authenticator's credProtect input. It has no
/// client output.
enum CredProtectClientExtension: ClientRegistrationExtension {
    static let identifier = "credProtect"

    struct Input: Equatable, Sendable {
        /// Unknown values are ignored.
        var policy: CredentialProtectionPolicy?
        var enforce: Bool
    }

    static func registrationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> Input? {
        let policy = try extensions.optional("credentialProtectionPolicy")?.enumeration(CredentialProtectionPolicy.self)
        let enforce = try extensions.optional("enforceCredentialProtectionPolicy")?.bool() ?? false
        return Input(policy: policy, enforce: enforce).normalized
    }

    static func prepareRegistration(_ input: Input, _ context: ClientExtensionContext,
                                    _ authenticatorInputs: inout MakeCredentialExtensionInputs) throws(WebAuthnClientError) {
        guard let policy = input.policy else { return }
        if context.info.extensions.contains(CredProtectExtension.identifier) {
            authenticatorInputs.credProtect = policy.credProtect
        } else if input.enforce && policy != .userVerificationOptional {
            // CTAP 2.2 §12.1: an enforced policy the authenticator cannot apply makes no credential.
            throw .notAllowed("credentialProtectionPolicy \(policy.rawValue) is enforced but the authenticator does not support credProtect")
        }
    }
}

extension CredProtectClientExtension.Input {
    /// `nil` for what asks for nothing, so that equal requests compare equal.
    var normalized: Self? { policy == nil && !enforce ? nil : self }
}

/// The `credentialProtectionPolicy` values of CTAP 2.2 §12.1's WebAuthn extension, and the
/// credProtect level each maps to.
public enum CredentialProtectionPolicy: String, Sendable, CaseIterable {
    case userVerificationOptional
    case userVerificationOptionalWithCredentialIDList
    case userVerificationRequired

    public var credProtect: CredentialProtection {
        switch self {
        case .userVerificationOptional: return .userVerificationOptional
        case .userVerificationOptionalWithCredentialIDList: return .userVerificationOptionalWithCredentialIDList
        case .userVerificationRequired: return .userVerificationRequired
        }
    }
}

extension RegistrationExtensionInputs {
    private var credProtectInput: CredProtectClientExtension.Input {
        get { values[CredProtectClientExtension.identifier] ?? .init(policy: nil, enforce: false) }
        set { values[CredProtectClientExtension.identifier] = newValue.normalized }
    }

    /// `credentialProtectionPolicy` (CTAP 2.2 §12.1); unknown values are ignored.
    public var credentialProtectionPolicy: CredentialProtectionPolicy? {
        get { credProtectInput.policy }
        set { credProtectInput.policy = newValue }
    }

    /// `enforceCredentialProtectionPolicy` (CTAP 2.2 §12.1).
    public var enforceCredentialProtectionPolicy: Bool {
        get { credProtectInput.enforce }
        set { credProtectInput.enforce = newValue }
    }
}
