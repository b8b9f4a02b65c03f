import VauthCrypto

/// Everything the authenticator keeps about one credential. Stores persist it; the private key is
/// PKCS#8 DER in wipe-on-free storage and is turned into a ``SigningKey`` only to sign.
public struct CredentialRecord: Sendable {
    public var id: [UInt8]
    public var rp: RelyingPartyEntity
    public var user: UserEntity
    /// The signing key's algorithm; for kinds that hold no key (``CredentialKind/holdsSigningKey``)
    /// it means nothing and is ES256, so that every record has the same shape.
    public var algorithm: COSEAlgorithm
    /// PKCS#8 DER of the signing key, or, for kinds that hold no key, their secret (a TOTP
    /// `otpauth://` URI, a password), sealed the same way.
    public var privateKey: SecretBytes
    public var signCount: UInt32
    public var signCounterMode: SignCounterMode
    /// A discoverable (client-side, "resident") credential, found without an allow list.
    public var discoverable: Bool
    /// Milliseconds since the Unix epoch.
    public var createdAt: Int64
    public var protection: CredentialProtection
    public var hmacSecret: HMACSecretKeys?
    public var backupEligible: Bool
    public var backedUp: Bool
    /// WebAuthn unless a service made it (a Dfns key pair, TOTP secret or password).
    public var kind: CredentialKind

    public init(id: [UInt8], rp: RelyingPartyEntity, user: UserEntity, algorithm: COSEAlgorithm, privateKey: SecretBytes,
                signCount: UInt32 = 0, signCounterMode: SignCounterMode = .increment, discoverable: Bool, createdAt: Int64,
                protection: CredentialProtection = .userVerificationOptional, hmacSecret: HMACSecretKeys? = nil,
                backupEligible: Bool = false, backedUp: Bool = false, kind: CredentialKind = .webAuthn) {
        self.id = id
        self.rp = rp
        self.user = user
        self.algorithm = algorithm
        self.privateKey = privateKey
        self.signCount = signCount
        self.signCounterMode = signCounterMode
        self.discoverable = discoverable
        self.createdAt = createdAt
        self.protection = protection
        self.hmacSecret = hmacSecret
        self.backupEligible = backupEligible
        self.backedUp = backedUp
        self.kind = kind
    }

    public var rpId: String { rp.id }

    /// The signing key, parsed from the stored PKCS#8.
    public func signingKey() throws(CryptoError) -> SigningKey {
        try privateKey.withUnsafeBytes { (der) throws(CryptoError) in try SigningKey(pkcs8DER: der) }
    }
}
