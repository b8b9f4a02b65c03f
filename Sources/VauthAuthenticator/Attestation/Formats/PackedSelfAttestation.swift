/// `packed` self attestation (WebAuthn L3 §8.2, §6.5.3): `sig` by the credential key itself over
/// authenticatorData ‖ clientDataHash, no `x5c`. It proves possession of the key and identifies
/// nothing.
public enum PackedSelfAttestation: AttestationFormat {
    public static let name = "self"
    public static let identifier = "packed"
    public static let attestationType = AttestationType.selfAttestation

    public static func statement(_ context: AttestationContext) throws -> AttestationStatement {
        try PackedAttestation.statement(context, signingKey: context.credentialKey, certificateChain: nil)
    }
}

extension AttestationKind {
    /// `packed` self attestation: signed by the credential key itself, no `x5c` (§8.2, §6.5.3).
    public static let `self` = AttestationKind(PackedSelfAttestation.self)
}
