import VauthCBOR
import VauthCrypto

/// `packed` with `x5c` (WebAuthn L3 §8.2): basic attestation, `sig` by the batch attestation key
/// over authenticatorData ‖ clientDataHash, its certificate (which carries the AAGUID, §8.2.1) in
/// `x5c`, chained to the keystore's root CA (`vauth attestation-ca`).
public enum PackedAttestation: AttestationFormat {
    public static let name = "packed"
    public static let identifier = "packed"
    public static let attestationType = AttestationType.basic

    public static func statement(_ context: AttestationContext) throws -> AttestationStatement {
        let identity = try context.identity()
        return try statement(context, signingKey: identity.attestationKey, certificateChain: [identity.attestationCertificate.der()])
    }

    /// The packed statement: `alg`, `sig` and, for basic attestation, `x5c`.
    static func statement(_ context: AttestationContext, signingKey: SigningKey, certificateChain: [[UInt8]]?) throws -> AttestationStatement {
        var statement: [CBORValue: CBORValue] = [
            "alg": .int(signingKey.algorithm.rawValue),
            "sig": .bytes(try context.sign(context.authenticatorDataBytes + context.clientDataHash, with: signingKey)),
        ]
        if let certificateChain { statement["x5c"] = .array(certificateChain.map(CBORValue.bytes)) }
        return AttestationStatement(format: identifier, statement: statement)
    }
}

extension AttestationKind {
    /// `packed` with `x5c`: signed by the batch attestation key, chained to vauth's root CA (§8.2).
    public static let packed = AttestationKind(PackedAttestation.self)
}
