/// `none` (WebAuthn L3 §8.7): an empty statement. Every authenticator can be lowered to it.
public enum NoneAttestation: AttestationFormat {
    public static let name = "none"
    public static let identifier = "none"
    public static let attestationType = AttestationType.none

    public static func statement(_ context: AttestationContext) throws -> AttestationStatement { .none }
}

extension AttestationKind {
    /// `none`: no statement (§8.7).
    public static let none = AttestationKind(NoneAttestation.self)
}
