import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// One test vector to generate: the ceremony, the authenticator's and client's configuration, and,
/// for a negative vector, the single check the result must fail.
public struct FixtureCase: Sendable {
    public enum Ceremony: String, Sendable {
        case registration, authentication
    }

    /// The attestation an RP sees: one of the authenticator's registered formats
    /// (``AttestationFormats/registered``), so a new format is covered by the matrix at once.
    public struct Attestation: Sendable, Equatable {
        /// The format the authenticator is configured with.
        public let kind: AttestationKind

        public init(_ kind: AttestationKind) {
            self.kind = kind
        }

        /// Conveyance `none`: fmt `none`, AAGUID zeroed by the client.
        public static let none = Attestation(.none)
        /// `packed` self attestation: signed by the credential key, no `x5c`.
        public static let `self` = Attestation(.self)
        /// `packed` with `x5c`: signed by the batch key, chained to the fixture root CA.
        public static let x5c = Attestation(.packed)

        /// Every registered format, from the one that reveals least (L3 §6.5.3).
        public static var all: [Attestation] {
            AttestationKind.allCases.enumerated()
                .sorted { ($0.element.format.attestationType, $0.offset) < ($1.element.format.attestationType, $1.offset) }
                .map { Attestation($0.element) }
        }

        /// The label in vector names and the manifest: the format's name, except `x5c` for
        /// `packed` with x5c (what the published vectors have always been called).
        public var rawValue: String { kind == .packed ? "x5c" : kind.rawValue }

        /// The statement's `fmt`.
        public var format: String { kind.format.identifier }

        /// Whether the statement carries a certificate chain to the trust anchor.
        public var hasCertificateChain: Bool { kind.format.attestationType.hasCertificateChain }
    }

    public var name: String
    public var summary: String
    public var ceremony: Ceremony
    public var algorithm: COSEAlgorithm
    public var attestation: Attestation = .none
    public var userVerification = false
    public var discoverable = false
    public var counter: SignCounterMode = .increment
    public var backupEligible = false
    public var backedUp = false
    public var credProps = false
    public var prf = false
    public var credentialProtection: CredentialProtectionPolicy?
    public var crossOrigin = false
    /// clientDataJSON carries Chromium's extra `other_keys_can_be_added_here` member.
    public var chromiumExtraMember = false
    /// `nil` for a valid vector; otherwise the check it must fail.
    public var negative: FixtureFailure?

    public init(name: String, summary: String, ceremony: Ceremony, algorithm: COSEAlgorithm) {
        self.name = name
        self.summary = summary
        self.ceremony = ceremony
        self.algorithm = algorithm
    }

    /// What the manifest lists about the vector, in a fixed member order.
    var properties: JSONValue {
        var members: [(String, JSONValue)] = [
            ("algorithm", .string(FixtureCase.algorithmName(algorithm))),
        ]
        if ceremony == .registration { members.append(("attestation", .string(attestation.rawValue))) }
        members += [
            ("userVerification", .bool(userVerification)),
            ("discoverable", .bool(discoverable)),
            ("counter", .string(counter == .increment ? "increment" : "always-0")),
            ("backupEligible", .bool(backupEligible)),
            ("backedUp", .bool(backedUp)),
            ("extensions", .array(extensionNames.map(JSONValue.string))),
            ("crossOrigin", .bool(crossOrigin)),
            ("clientDataShape", .string(chromiumExtraMember ? "chromium-extra-member" : "chromium")),
        ]
        return .object(members)
    }

    var extensionNames: [String] {
        var names: [String] = []
        if credProps { names.append("credProps") }
        if prf { names.append("prf") }
        if credentialProtection != nil { names.append("credProtect") }
        return names
    }

    /// JOSE-style names, as RP libraries print them.
    static func algorithmName(_ algorithm: COSEAlgorithm) -> String {
        switch algorithm {
        case .es256: return "ES256"
        case .edDSA: return "EdDSA"
        case .rs256: return "RS256"
        }
    }
}

/// The check a negative vector must fail: the `expected.failure` label of the vector files.
public enum FixtureFailure: String, Sendable, CaseIterable {
    /// The assertion or attestation signature does not verify (L3 §7.2 step 21, §7.1 step 21).
    case signature
    /// rpIdHash is not SHA-256 of the RP ID (L3 §7.1 step 13, §7.2 step 15).
    case rpIdHash
    /// clientDataJSON.origin is not the RP's origin (L3 §7.1 step 9, §7.2 step 13).
    case origin
    /// clientDataJSON.challenge is not the challenge the RP sent (L3 §7.1 step 8, §7.2 step 12).
    case challenge
    /// clientDataJSON.type is the other ceremony's (L3 §7.1 step 7, §7.2 step 11).
    case type
    /// The UP flag is clear (L3 §7.1 step 14, §7.2 step 16).
    case userPresence
    /// The RP required user verification and the UV flag is clear (L3 §7.1 step 15, §7.2 step 17).
    case userVerification
    /// The signature counter did not grow past the stored one (L3 §7.2 step 22).
    case signCount
    /// The attestation object is not CTAP2 canonical CBOR (CTAP 2.2 §8; L3 §6.5.4).
    case canonicalCBOR
    /// The x5c leaf's id-fido-gen-ce-aaguid extension is not the authenticator data's AAGUID (L3 §8.2.1).
    case attestationAAGUID
    /// The x5c chain does not lead to the trust anchor the RP holds (L3 §7.1 steps 22–24).
    case attestationTrustChain
    /// The authenticator data is shorter than its fixed 37 bytes (L3 §6.1).
    case authenticatorDataTruncated
    /// Bytes follow the attested credential data though the ED flag is clear (L3 §6.1, §6.5.1).
    case authenticatorDataTrailingBytes
    /// The credential public key's alg is not one the RP asked for in pubKeyCredParams (L3 §7.1 step 17).
    case algorithm
}
