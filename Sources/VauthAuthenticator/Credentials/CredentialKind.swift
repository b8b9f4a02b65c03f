/// What a stored credential is for. The authenticator only ever uses ``webAuthn`` credentials;
/// the others are secrets that services such as Dfns accept beside WebAuthn credentials, and
/// they are kept under an `rp.id` that is an origin (`https://app.example`), which no WebAuthn
/// RP ID can equal, so a WebAuthn ceremony never finds them.
public enum CredentialKind: String, Sendable, CaseIterable {
    /// A WebAuthn (FIDO2) credential made by the authenticator.
    case webAuthn = "webauthn"
    /// A Dfns `Key` credential: a key pair that signs `key.create` / `key.get` client data.
    case key = "key"
    /// A Dfns `RecoveryKey` credential: a key pair kept by the user as a recovery code, used only
    /// to sign a user recovery.
    case recoveryKey = "recoveryKey"
    /// A Dfns `PasswordProtectedKey` credential: a key pair like ``key`` whose private key the
    /// service also holds encrypted under the user's password.
    case passwordProtectedKey = "passwordProtectedKey"
    /// A Dfns `Totp` second factor: an RFC 6238 shared secret; the record's secret is its
    /// `otpauth://totp/…` URI.
    case totp = "totp"
    /// A Dfns `Password` credential's password, kept only when the user asks; the record's secret
    /// is its UTF-8.
    case password = "password"

    /// True for the kinds whose record holds a signing key (PKCS#8 in `privateKey`, `algorithm`
    /// its algorithm); the others hold another secret there and their `algorithm` means nothing.
    public var holdsSigningKey: Bool {
        switch self {
        case .webAuthn, .key, .recoveryKey, .passwordProtectedKey: return true
        case .totp, .password: return false
        }
    }
}
