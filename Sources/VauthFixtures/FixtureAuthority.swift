import VauthAuthenticator
import VauthCrypto

/// The attestation side of the fixtures, derived from the seed: the root CA a relying party trusts
/// (`expected.trustAnchorPem`), a second root nobody trusts, and the authenticator identities that
/// sign packed attestation statements. Certificates have fixed serial numbers (from the seed) and
/// a fixed validity window, and are signed with RFC 6979 nonces, so they are byte-identical per seed.
struct FixtureAuthority {
    /// 2025-01-01T00:00:00Z to 2045-01-01T00:00:00Z: fixed, never the clock's.
    static let validity = AttestationCertificates.Validity(notBefore: 1_735_689_600, notAfter: 2_366_841_600)

    static let otherRootSubject: AttestationCertificates.Name = [
        ("C", "US"), ("O", "vauth fixtures untrusted CA"), ("OU", "Attestation Root"), ("CN", "Untrusted Attestation Root CA"),
    ]

    let aaguid: AAGUID
    let rootKey: SigningKey
    let root: X509Certificate
    let otherRootKey: SigningKey
    let otherRoot: X509Certificate
    /// The authenticator everybody's vectors come from: leaf for `aaguid`, issued by `root`.
    let identity: AuthenticatorIdentity
    /// A leaf whose AAGUID extension names another model than the authenticator data does.
    let wrongAAGUIDIdentity: AuthenticatorIdentity
    /// A leaf for `aaguid` issued by `otherRoot`.
    let otherRootIdentity: AuthenticatorIdentity

    init(random: HMACDRBG) throws {
        aaguid = Self.uuid(random.bytes(16))
        rootKey = try SigningKey.derive(.es256, from: random.child("root-key"))
        root = try AttestationCertificates.makeRoot(key: rootKey, subject: AuthenticatorIdentity.rootSubject,
                                                    serial: random.bytes(16), validity: Self.validity)
            .resignedDeterministically(by: rootKey)
        otherRootKey = try SigningKey.derive(.es256, from: random.child("other-root-key"))
        otherRoot = try AttestationCertificates.makeRoot(key: otherRootKey, subject: Self.otherRootSubject,
                                                         serial: random.bytes(16), validity: Self.validity)
            .resignedDeterministically(by: otherRootKey)

        let leafKey = try SigningKey.derive(.es256, from: random.child("leaf-key"))
        identity = try Self.identity(aaguid: aaguid, certificateAAGUID: aaguid, leafKey: leafKey, serial: random.bytes(16),
                                     rootKey: rootKey, root: root)
        let otherAAGUID = Self.uuid(random.bytes(16))
        wrongAAGUIDIdentity = try Self.identity(aaguid: aaguid, certificateAAGUID: otherAAGUID, leafKey: leafKey,
                                                serial: random.bytes(16), rootKey: rootKey, root: root)
        otherRootIdentity = try Self.identity(aaguid: aaguid, certificateAAGUID: aaguid, leafKey: leafKey, serial: random.bytes(16),
                                              rootKey: otherRootKey, root: otherRoot)
    }

    private static func identity(aaguid: AAGUID, certificateAAGUID: AAGUID, leafKey: SigningKey, serial: [UInt8],
                                 rootKey: SigningKey, root: X509Certificate) throws -> AuthenticatorIdentity {
        let leaf = try AttestationCertificates.makeAttestationLeaf(
            publicKey: leafKey.publicKey, subject: AuthenticatorIdentity.attestationSubject, aaguid: certificateAAGUID.bytes,
            serial: serial, validity: validity, issuer: root, issuerKey: rootKey)
            .resignedDeterministically(by: rootKey)
        return AuthenticatorIdentity(aaguid: aaguid, rootKey: rootKey, rootCertificate: root, attestationKey: leafKey,
                                     attestationCertificate: leaf)
    }

    /// 16 bytes as a version 4, variant 1 UUID (RFC 9562 §5.4), as AAGUIDs are.
    private static func uuid(_ bytes: [UInt8]) -> AAGUID {
        var b = bytes
        b[6] = b[6] & 0x0f | 0x40
        b[8] = b[8] & 0x3f | 0x80
        return AAGUID(bytes: b)!
    }
}
