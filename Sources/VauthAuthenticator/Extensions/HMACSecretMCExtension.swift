import VauthCBOR

/// hmac-secret-mc (CTAP 2.2 §12.7): hmac-secret evaluated while the credential is made, so
/// WebAuthn's prf `eval` at create() gets its results at once. The credential gets hmac-secret's
/// secrets even if `hmac-secret` itself was not asked for.
public enum HMACSecretMCExtension: AuthenticatorExtension {
    public static let identifier = "hmac-secret-mc"

    public static func makeCredentialInput(from value: CBORValue) throws(CTAPError) -> HMACSecretInput? {
        try HMACSecretInput(cbor: value, name: identifier)
    }

    public static func encodeMakeCredentialInput(_ input: HMACSecretInput) -> CBORValue { input.cborValue }

    public static func makeCredential(_ input: HMACSecretInput, _ context: inout MakeCredentialExtensionContext) throws(CTAPError) -> CBORValue? {
        let keys = try HMACSecretExtension.keys(for: &context)
        return .bytes(try HMACSecretEvaluation.evaluate(input, keys: keys, userVerified: context.userVerified,
                                                        keyAgreementKey: context.keyAgreementKey()))
    }
}

extension MakeCredentialExtensionInputs {
    /// hmac-secret-mc (CTAP 2.2 §12.7): evaluate the PRF while creating, for WebAuthn prf `eval` at create.
    public var hmacSecretMC: HMACSecretInput? {
        get { self[HMACSecretMCExtension.self] }
        set { self[HMACSecretMCExtension.self] = newValue }
    }
}
