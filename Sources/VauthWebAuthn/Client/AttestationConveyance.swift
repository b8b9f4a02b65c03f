import VauthAuthenticator

/// What the client does with the RP's attestation conveyance preference (L3 §5.4.7, §5.1.3).
extension AttestationConveyancePreference {
    /// What to ask the authenticator for: `none` asks for none (CTAP 2.2
    /// attestationFormatsPreference); `indirect` for self attestation, which no batch certificate
    /// identifies; `direct` and `enterprise` take what the authenticator is configured to give,
    /// in the order of the RP's `attestationFormats`.
    func authenticatorRequest(attestationFormats: [String]) -> (formatsPreference: [String]?, requested: AttestationKind?) {
        switch self {
        case .none: return (["none"], nil)
        case .indirect: return (attestationFormats.isEmpty ? nil : attestationFormats, .self)
        case .direct, .enterprise: return (attestationFormats.isEmpty ? nil : attestationFormats, nil)
        }
    }

    /// The authenticator data and statement the RP gets. Under `none` (L3 §5.1.3) the AAGUID is
    /// replaced with zeros and the statement dropped; nothing signs the authenticator data then, so
    /// it may be re-encoded. (The W3C Recommendation, and Chromium for security keys, zero the
    /// AAGUID; the current L3 draft no longer does, w3c/webauthn#2199. vauth follows the browsers.)
    /// Self attestation that already identifies nothing is left alone.
    func conveyed(_ response: MakeCredentialResponse) -> (authenticatorData: [UInt8], attestation: AttestationStatement) {
        guard self == .none, let attested = response.authenticatorData.attestedCredentialData,
              !Self.isAnonymousSelfAttestation(attested, response.attestation) else {
            return (response.authenticatorDataBytes, response.attestation)
        }
        var authenticatorData = response.authenticatorData
        authenticatorData.attestedCredentialData?.aaguid = .zero
        return (authenticatorData.bytes, .none)
    }

    /// Self attestation that already identifies nothing: L3 §5.1.3 leaves it alone under "none".
    static func isAnonymousSelfAttestation(_ attested: AttestedCredentialData, _ attestation: AttestationStatement) -> Bool {
        attested.aaguid == .zero && attestation.format == PackedSelfAttestation.identifier && attestation.statement["x5c"] == nil
    }
}
