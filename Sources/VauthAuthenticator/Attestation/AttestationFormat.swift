import VauthCBOR
import VauthCrypto

/// One kind of attestation statement the authenticator makes (WebAuthn L3 §8): its names, its
/// constraints, and how it signs. Each is one file under `Attestation/Formats/` and one entry of
/// ``AttestationFormats/registered``; the `--attestation` values, getInfo's `attestationFormats`,
/// the keystore's policy names and the fixtures' coverage all come from that list.
///
/// The article "Adding an attestation format" in the VauthAuthenticator documentation walks
/// through one.
public protocol AttestationFormat: Sendable {
    /// The name users pick it by: the `--attestation` value, the keystore policy, the fixtures.
    /// Unique among the registered formats, and stable: keystores store it.
    static var name: String { get }
    /// The attestation statement format identifier, `fmt` (L3 §8; IANA "WebAuthn Attestation
    /// Statement Format Identifiers"). Two formats may share it (`packed` self and with x5c).
    static var identifier: String { get }
    /// The attestation type it conveys (L3 §6.5.3). It orders formats by what they reveal, so that
    /// a platform asking for less (WebAuthn conveyance `indirect`) gets less.
    static var attestationType: AttestationType { get }
    /// The credential algorithms this format can attest (`fido-u2f`: ES256 only, L3 §8.6);
    /// `nil` for every algorithm the authenticator has. makeCredential picks among these.
    static var credentialAlgorithms: [COSEAlgorithm]? { get }
    /// The AAGUID written in the attested credential data (a format may demand zeros, as
    /// `fido-u2f` does, L3 §8.6).
    static func attestedAAGUID(_ authenticatorAAGUID: AAGUID) -> AAGUID
    /// The statement over the authenticator data and client data hash (CTAP 2.2 §6.1.2 step 19).
    /// Any error fails makeCredential with CTAP1_ERR_OTHER before anything is stored.
    static func statement(_ context: AttestationContext) throws -> AttestationStatement
}

extension AttestationFormat {
    public static var credentialAlgorithms: [COSEAlgorithm]? { nil }
    public static func attestedAAGUID(_ authenticatorAAGUID: AAGUID) -> AAGUID { authenticatorAAGUID }
}

/// Attestation types (WebAuthn L3 §6.5.3), in the order of how much they reveal about the
/// authenticator.
public enum AttestationType: Int, Sendable, Comparable, CaseIterable {
    /// No attestation information (`none`, §8.7).
    case none
    /// Signed by the credential key itself; identifies nothing (§6.5.3 "Self Attestation").
    case selfAttestation
    /// An anonymization CA issues a certificate per credential (`apple`, §8.8).
    case anonymizationCA
    /// A batch key, shared by a batch of authenticators, with its certificate (`packed` x5c, `fido-u2f`).
    case basic
    /// An attestation key certified by a CA the authenticator talks to (`tpm`'s AIK, §8.3).
    case attestationCA

    public static func < (lhs: AttestationType, rhs: AttestationType) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether statements of this type carry a certificate chain (`x5c`) to a trust anchor.
    public var hasCertificateChain: Bool { self > .selfAttestation }
}

/// What a format sees while it makes its statement.
public struct AttestationContext {
    /// The authenticator data the statement covers, parsed and as bytes (L3 §6.1).
    public let authenticatorData: AuthenticatorData
    public let authenticatorDataBytes: [UInt8]
    public let clientDataHash: [UInt8]
    /// The new credential's key pair.
    public let credentialKey: SigningKey
    let authenticator: Authenticator

    /// The authenticator's identity: root CA, batch key and certificate. Loaded on first use, so
    /// only formats that chain to the root pay for decoding it.
    public func identity() throws(CTAPError) -> AuthenticatorIdentity { try authenticator.identity }
    /// Signs with the authenticator's signer (deterministic ECDSA for fixtures).
    public func sign(_ message: [UInt8], with key: SigningKey) throws -> [UInt8] { try authenticator.signer(key, message) }
    /// Random bytes from the authenticator's source (seeded for fixtures), e.g. certificate serials.
    public func randomBytes(_ count: Int) throws -> [UInt8] { try authenticator.randomBytes(count) }
    /// Milliseconds since the Unix epoch, from the authenticator's clock.
    public var now: Int64 { authenticator.now() }
}
