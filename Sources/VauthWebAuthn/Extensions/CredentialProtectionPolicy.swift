import VauthAuthenticator

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
