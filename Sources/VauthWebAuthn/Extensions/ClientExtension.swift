import VauthAuthenticator

/// A WebAuthn extension as the client processes it (WebAuthn L3 §9): an identifier, and the
/// registration and/or authentication half below. Each extension is one file under `Extensions/`
/// and one entry of ``ClientExtensions/registered``; the parsing of `extensions` in the options,
/// the CTAP extension inputs sent to the authenticator and `getClientExtensionResults()` all come
/// from that list. Extensions the client does not know are ignored, as L3 §9 tells clients to do.
///
/// The article "Adding an extension" in the VauthAuthenticator documentation covers both halves.
protocol ClientExtension: Sendable {
    /// The client extension identifier (L3 §9): its member of `getClientExtensionResults()`.
    static var identifier: String { get }
}

/// What an extension sees of the ceremony besides its own input.
struct ClientExtensionContext {
    let authenticator: Authenticator
    /// The authenticator's getInfo: which CTAP extensions it processes.
    let info: AuthenticatorInfo
}

/// The `create()` half of a client extension (L3 §5.1.3 "extensions processing").
protocol ClientRegistrationExtension: ClientExtension {
    associatedtype RegistrationInput: Equatable & Sendable
    /// What the extension keeps between sending its authenticator input and reading the response.
    associatedtype RegistrationState = Void
    associatedtype RegistrationOutput: ClientExtensionOutput = NoClientOutput

    /// Reads the extension's members of the options' `extensions`; `nil` when the RP did not ask for it.
    static func registrationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> RegistrationInput?
    /// Checks the input against the authenticator and sets the CTAP extension inputs it needs.
    static func prepareRegistration(_ input: RegistrationInput, _ context: ClientExtensionContext,
                                    _ authenticatorInputs: inout MakeCredentialExtensionInputs) throws(WebAuthnClientError) -> RegistrationState
    /// The client extension output, from the authenticator's response; `nil` for none.
    static func registrationOutput(_ input: RegistrationInput, _ state: RegistrationState,
                                   _ response: MakeCredentialResponse) throws(WebAuthnClientError) -> RegistrationOutput?
}

/// The `get()` half of a client extension (L3 §5.1.4.1 "extensions processing").
protocol ClientAuthenticationExtension: ClientExtension {
    associatedtype AuthenticationInput: Equatable & Sendable
    associatedtype AuthenticationState
    associatedtype AuthenticationOutput: ClientExtensionOutput = NoClientOutput

    static func authenticationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> AuthenticationInput?
    /// Checks made before anything is sent to the authenticator.
    static func beginAuthentication(_ input: AuthenticationInput, _ options: PublicKeyCredentialRequestOptions)
        throws(WebAuthnClientError) -> AuthenticationState
    /// Whether the client must ask about one allowed credential at a time, because the input
    /// depends on which credential answers (prf's evalByCredential).
    static func asksOneCredentialAtATime(_ state: AuthenticationState) -> Bool
    /// Sets the CTAP extension inputs for one getAssertion over `allowList`.
    static func prepareAttempt(_ state: inout AuthenticationState, allowList: [CredentialDescriptor], _ context: ClientExtensionContext,
                               _ authenticatorInputs: inout GetAssertionExtensionInputs) throws(WebAuthnClientError)
    static func authenticationOutput(_ state: AuthenticationState, _ response: GetAssertionResponse)
        throws(WebAuthnClientError) -> AuthenticationOutput?
}

extension ClientRegistrationExtension where RegistrationState == Void {
    static func prepareRegistration(_ input: RegistrationInput, _ context: ClientExtensionContext,
                                    _ authenticatorInputs: inout MakeCredentialExtensionInputs) throws(WebAuthnClientError) {}
}

extension ClientRegistrationExtension where RegistrationOutput == NoClientOutput {
    static func registrationOutput(_ input: RegistrationInput, _ state: RegistrationState,
                                   _ response: MakeCredentialResponse) throws(WebAuthnClientError) -> NoClientOutput? { nil }
}

extension ClientAuthenticationExtension {
    static func asksOneCredentialAtATime(_ state: AuthenticationState) -> Bool { false }
}

/// A client extension output: a member of `getClientExtensionResults()` and of its `toJSON()` form.
public protocol ClientExtensionOutput: Equatable, Sendable {
    var json: JSONValue { get }
}

/// The output of an extension that has none (credProtect's WebAuthn inputs, for one).
public enum NoClientOutput: ClientExtensionOutput {
    public var json: JSONValue { switch self {} }
}
