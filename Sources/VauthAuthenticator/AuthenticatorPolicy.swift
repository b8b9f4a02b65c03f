import VauthCrypto

/// Whether the authenticator can verify the user, and whether the (simulated) user agrees.
public enum UserVerificationCapability: String, Sendable, CaseIterable, Codable {
    /// A built-in method that always succeeds when asked (getInfo `uv: true`).
    case supported
    /// No built-in method (getInfo has no `uv`); asking for it is `CTAP2_ERR_INVALID_OPTION`.
    case unsupported
    /// A built-in method the user declines: asking is `CTAP2_ERR_OPERATION_DENIED`.
    case refused
}

/// How a credential's signature counter behaves (WebAuthn L3 §6.1.1).
public enum SignCounterMode: String, Sendable, CaseIterable, Codable {
    /// Per credential, +1 on every assertion.
    case increment
    /// Always 0, as synced passkeys report.
    case zero
}

/// The authenticator's behaviour. Stored as a default in the keystore and overridable per command.
public struct AuthenticatorPolicy: Equatable, Sendable, Codable {
    public var attestation: AttestationKind
    public var userVerification: UserVerificationCapability
    public var signCounter: SignCounterMode
    /// BE for new credentials (a passkey provider that syncs sets it).
    public var backupEligible: Bool
    /// BS for new credentials and assertions; only meaningful with BE.
    public var backedUp: Bool
    /// The algorithms the authenticator supports. Among them, the RP's order of pubKeyCredParams
    /// decides (CTAP 2.2 §6.1.2 step 3).
    public var algorithms: [COSEAlgorithm]

    public init(attestation: AttestationKind = .packed, userVerification: UserVerificationCapability = .supported,
                signCounter: SignCounterMode = .increment, backupEligible: Bool = false, backedUp: Bool = false,
                algorithms: [COSEAlgorithm] = [.es256, .edDSA, .rs256]) {
        self.attestation = attestation
        self.userVerification = userVerification
        self.signCounter = signCounter
        self.backupEligible = backupEligible
        self.backedUp = backedUp
        self.algorithms = algorithms
    }
}
