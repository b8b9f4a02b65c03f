/// What a stored credential is for. The authenticator only ever uses ``webAuthn`` credentials;
/// the others are raw key pairs that services such as Dfns accept beside WebAuthn credentials, and
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
}
