import VauthCrypto

/// Who the authenticator is: its AAGUID and its batch attestation chain. A keystore keeps one, so
/// the same keystore always yields the same attestation chain.
public struct AuthenticatorIdentity: Sendable {
    public var aaguid: AAGUID
    /// The root CA an RP trusts (`vauth attestation-ca` prints it).
    public var rootKey: SigningKey
    public var rootCertificate: X509Certificate
    /// The batch attestation key and its certificate, which carries the AAGUID (WebAuthn L3 §8.2.1).
    public var attestationKey: SigningKey
    public var attestationCertificate: X509Certificate

    public init(aaguid: AAGUID, rootKey: SigningKey, rootCertificate: X509Certificate,
                attestationKey: SigningKey, attestationCertificate: X509Certificate) {
        self.aaguid = aaguid
        self.rootKey = rootKey
        self.rootCertificate = rootCertificate
        self.attestationKey = attestationKey
        self.attestationCertificate = attestationCertificate
    }

    public static let rootSubject: AttestationCertificates.Name = [
        ("C", "US"), ("O", "vauth virtual authenticator"), ("OU", "Attestation Root"), ("CN", "vauth Attestation Root CA"),
    ]

    public static let attestationSubject: AttestationCertificates.Name = [
        ("C", "US"), ("O", "vauth virtual authenticator"), ("OU", "Authenticator Attestation"), ("CN", "vauth Batch Attestation"),
    ]

    /// A new root CA and attestation leaf for `aaguid`, ES256 both. `now` is seconds since the
    /// epoch; certificates are valid from an hour before it (clock skew) for 20 years.
    public static func generate(aaguid: AAGUID = .vauthDefault, now: Int64) throws(CryptoError) -> AuthenticatorIdentity {
        let rootKey = try SigningKey.generate(.es256)
        let validity = AttestationCertificates.Validity(notBefore: now - 3600, notAfter: now + 20 * 365 * 86400)
        let root = try AttestationCertificates.makeRoot(key: rootKey, subject: rootSubject, serial: try SecureRandom.bytes(16), validity: validity)
        return try issue(aaguid: aaguid, rootKey: rootKey, rootCertificate: root, validity: validity)
    }

    /// The same root CA with a new attestation leaf for another AAGUID.
    public func reissued(for aaguid: AAGUID, now: Int64) throws(CryptoError) -> AuthenticatorIdentity {
        let validity = AttestationCertificates.Validity(notBefore: now - 3600, notAfter: now + 20 * 365 * 86400)
        return try Self.issue(aaguid: aaguid, rootKey: rootKey, rootCertificate: rootCertificate, validity: validity)
    }

    /// A key derived from the root CA's private key for `purpose`, e.g. the intermediate CA of
    /// one attestation format: the same root always gives the same key, so a chain an attestation
    /// format builds with it under the root (deterministic serial, RFC 6979 signature) is the same
    /// in every process without being stored, and an RP can trust it per format. Different
    /// purposes and different roots give unrelated keys (HMAC-SHA-256 keyed by the root's PKCS#8,
    /// then ``HMACDRBG``, NIST SP 800-90A).
    public func derivedKey(for purpose: String, algorithm: COSEAlgorithm = .es256) throws(CryptoError) -> SigningKey {
        let root = try rootKey.pkcs8DER()
        let seed = root.withUnsafeBytes { HMACSHA256.authenticate(Array("vauth derived key\u{0}\(purpose)".utf8), key: $0) }
        return try SigningKey.derive(algorithm, from: HMACDRBG(seedMaterial: seed))
    }

    private static func issue(aaguid: AAGUID, rootKey: SigningKey, rootCertificate: X509Certificate,
                              validity: AttestationCertificates.Validity) throws(CryptoError) -> AuthenticatorIdentity {
        let leafKey = try SigningKey.generate(.es256)
        let leaf = try AttestationCertificates.makeAttestationLeaf(
            publicKey: leafKey.publicKey, subject: attestationSubject, aaguid: aaguid.bytes,
            serial: try SecureRandom.bytes(16), validity: validity, issuer: rootCertificate, issuerKey: rootKey)
        return AuthenticatorIdentity(aaguid: aaguid, rootKey: rootKey, rootCertificate: rootCertificate,
                                     attestationKey: leafKey, attestationCertificate: leaf)
    }
}
