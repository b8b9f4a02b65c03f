import VauthAuthenticator

/// credProps (L3 §10.1.3): a client-only extension that tells the RP whether the credential is
/// discoverable. Nothing is sent to the authenticator.
enum CredPropsClientExtension: ClientRegistrationExtension {
    static let identifier = "credProps"

    static func registrationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> Bool? {
        try extensions.optional("credProps")?.bool() == true ? true : nil
    }

    static func registrationOutput(_ input: Bool, _ state: Void, _ response: MakeCredentialResponse) throws(WebAuthnClientError) -> CredentialPropertiesOutput? {
        CredentialPropertiesOutput(rk: response.discoverable)
    }
}

/// `CredentialPropertiesOutput` (L3 §10.1.3).
public struct CredentialPropertiesOutput: ClientExtensionOutput {
    public var rk: Bool?

    public init(rk: Bool?) {
        self.rk = rk
    }

    public var json: JSONValue {
        .object(rk.map { [("rk", JSONValue.bool($0))] } ?? [])
    }
}

extension RegistrationExtensionInputs {
    /// `credProps` (L3 §10.1.3).
    public var credProps: Bool {
        get { values[CredPropsClientExtension.identifier] ?? false }
        set { values[CredPropsClientExtension.identifier] = newValue ? true : nil }
    }
}

extension ClientExtensionResults {
    /// `credProps` (L3 §10.1.3): `rk` says whether the credential is discoverable.
    public var credProps: CredentialPropertiesOutput? {
        get { self[CredPropsClientExtension.identifier] }
        set { self[CredPropsClientExtension.identifier] = newValue }
    }
}
