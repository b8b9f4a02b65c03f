/// The signature algorithms vauth implements, by their COSE identifiers (IANA COSE Algorithms
/// registry; WebAuthn L3 §5.8.5 and §6.5.1.1).
public enum COSEAlgorithm: Int, Sendable, CaseIterable, Codable {
    /// ECDSA with SHA-256 on P-256; signatures are ASN.1 DER (WebAuthn L3 §6.5.6).
    case es256 = -7
    /// EdDSA on Ed25519 (RFC 8032 pure EdDSA; 64-byte signatures).
    case edDSA = -8
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8812), 2048-bit modulus.
    case rs256 = -257

    /// The name the CLI and fido2-tools use: `es256`, `eddsa`, `rs256`.
    public var name: String {
        switch self {
        case .es256: return "es256"
        case .edDSA: return "eddsa"
        case .rs256: return "rs256"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = match
    }
}
