/// The credential kinds vauth can make or sign with for a Dfns factor, as the CLI spells them
/// (`--kind`, `--second-factor`, `--first-factor`). Which kind may serve as which factor is the
/// SDK's (contract, docs/services/dfns.md: "Factors"): a Password is only a first factor, a Totp
/// only a second one; Key, Fido2 and PasswordProtectedKey are either.
public enum DfnsFactorKind: String, Sendable, CaseIterable {
    case key
    case fido2
    case password
    case passwordProtectedKey = "password-protected-key"
    case totp

    public var credentialKind: DfnsCredentialKind {
        switch self {
        case .key: return .key
        case .fido2: return .fido2
        case .password: return .password
        case .passwordProtectedKey: return .passwordProtectedKey
        case .totp: return .totp
        }
    }

    public init?(_ kind: DfnsCredentialKind) {
        guard let match = Self.allCases.first(where: { $0.credentialKind == kind }) else { return nil }
        self = match
    }

    public var canBeFirstFactor: Bool { self != .totp }
    public var canBeSecondFactor: Bool { self != .password }

    /// Kinds whose body or whose key needs the user's password.
    public var needsPassword: Bool { self == .password || self == .passwordProtectedKey }

    /// Refuses a kind in a factor the SDK's types do not allow it in.
    public func check(asSecondFactor second: Bool) throws(DfnsError) {
        if second, !canBeSecondFactor {
            throw .malformed("a Password is a first factor only (the SDK's second factors are Key, Fido2, Totp and PasswordProtectedKey)")
        }
        if !second, !canBeFirstFactor {
            throw .malformed("a Totp is a second factor only (the SDK's first factors are Key, Fido2, Password and PasswordProtectedKey)")
        }
    }
}
