/// The attestation formats this authenticator makes, in the order `--attestation` lists them.
/// Adding a format is adding its file and its line here.
public enum AttestationFormats {
    public static let registered: [any AttestationFormat.Type] = [
        PackedAttestation.self,
        PackedSelfAttestation.self,
        NoneAttestation.self,
    ]

    /// The registered format named `name`.
    public static func named(_ name: String) -> (any AttestationFormat.Type)? {
        registered.first { $0.name == name }
    }

    /// getInfo's `attestationFormats` (CTAP 2.2 §6.4): what an authenticator configured for
    /// `configured` makes — its own format, and `none`, to which any request can be lowered.
    public static func offered(by configured: any AttestationFormat.Type) -> [String] {
        configured.identifier == NoneAttestation.identifier ? [NoneAttestation.identifier] : [configured.identifier, NoneAttestation.identifier]
    }

    /// The format of one makeCredential: the configured one, lowered to the platform's wish.
    /// `requested` (an in-process platform's, for WebAuthn conveyance) wins when it reveals less;
    /// of `preference` (CTAP 2.2 §6.1.2 attestationFormatsPreference) the first entry the
    /// authenticator offers decides, and only `none` can differ from the configured format.
    static func chosen(configured: any AttestationFormat.Type, requested: (any AttestationFormat.Type)?,
                       preference: [String]?) -> any AttestationFormat.Type {
        var format = configured
        if let requested, requested.attestationType < format.attestationType { format = requested }
        let offered = offered(by: configured)
        if let preference, preference.first(where: offered.contains) == NoneAttestation.identifier { format = NoneAttestation.self }
        return format
    }
}

/// A registered attestation format by name: what the keystore stores in its policy, what
/// `--attestation` takes, and what ``AuthenticatorPolicy`` holds. Only registered names exist.
public struct AttestationKind: RawRepresentable, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    public let rawValue: String

    public init?(rawValue: String) {
        guard AttestationFormats.named(rawValue) != nil else { return nil }
        self.rawValue = rawValue
    }

    public init(_ format: any AttestationFormat.Type) {
        rawValue = format.name
    }

    public static var allCases: [AttestationKind] { AttestationFormats.registered.map(AttestationKind.init) }

    /// The format itself.
    public var format: any AttestationFormat.Type { AttestationFormats.named(rawValue)! }

    public var description: String { rawValue }
}
