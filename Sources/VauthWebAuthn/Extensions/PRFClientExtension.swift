import VauthAuthenticator
import VauthCrypto

/// prf (L3 §10.1.4) over CTAP's hmac-secret (CTAP 2.2 §12.5) and hmac-secret-mc (§12.7). The
/// cryptographic half, salts and their encryption, is ``PRFEvaluation``.
enum PRFClientExtension: ClientRegistrationExtension, ClientAuthenticationExtension {
    static let identifier = "prf"

    static func registrationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> PRFInputs? {
        try extensions.optional("prf").map { (member) throws(WebAuthnClientError) in try PRFInputs(member) }
    }

    static func authenticationInput(from extensions: JSONMember) throws(WebAuthnClientError) -> PRFInputs? {
        try registrationInput(from: extensions)
    }

    // MARK: create()

    /// Registration: hmac-secret when the authenticator has it, and with `eval` the salts for
    /// hmac-secret-mc when it has that too; the request is kept to decrypt the outputs.
    static func prepareRegistration(_ input: PRFInputs, _ context: ClientExtensionContext,
                                    _ authenticatorInputs: inout MakeCredentialExtensionInputs) throws(WebAuthnClientError) -> PRFEvaluation.Request? {
        // L3 §10.1.4 registration step 1.
        guard input.evalByCredential.isEmpty else { throw .notSupported("extensions.prf.evalByCredential is not allowed in create()") }
        guard context.info.extensions.contains(HMACSecretExtension.identifier) else { return nil }
        authenticatorInputs.hmacSecret = true
        // Evaluating at creation needs hmac-secret-mc (CTAP 2.2 §12.7).
        guard let eval = input.eval, context.info.extensions.contains(HMACSecretMCExtension.identifier) else { return nil }
        let request = try PRFEvaluation(authenticator: context.authenticator, info: context.info).request(for: eval)
        authenticatorInputs.hmacSecretMC = request.input
        return request
    }

    static func registrationOutput(_ input: PRFInputs, _ request: PRFEvaluation.Request?,
                                   _ response: MakeCredentialResponse) throws(WebAuthnClientError) -> PRFOutputs? {
        let outputs = response.authenticatorData.extensions
        var prf = PRFOutputs(enabled: outputs?[.text(HMACSecretExtension.identifier)] == .boolean(true))
        if let request, let output = outputs?[.text(HMACSecretMCExtension.identifier)]?.bytesValue {
            prf.results = try PRFEvaluation.results(output, for: request)
        }
        return prf
    }

    // MARK: get()

    struct AuthenticationState {
        var eval: PRFValues?
        /// evalByCredential by credential id.
        var byCredential: [[UInt8]: PRFValues]
        /// The key agreement, made once per get() however many attempts it takes.
        var session: PRFEvaluation?
        /// The salts sent in the current attempt.
        var request: PRFEvaluation.Request?
    }

    /// L3 §10.1.4 authentication steps 1–2: evalByCredential needs an allow list and names only
    /// its credentials.
    static func beginAuthentication(_ input: PRFInputs, _ options: PublicKeyCredentialRequestOptions) throws(WebAuthnClientError) -> AuthenticationState {
        var byCredential: [[UInt8]: PRFValues] = [:]
        if !input.evalByCredential.isEmpty {
            guard !options.allowCredentials.isEmpty else {
                throw .notSupported("extensions.prf.evalByCredential needs a non-empty allowCredentials")
            }
            for (key, values) in input.evalByCredential.sorted(by: { $0.key < $1.key }) {
                guard !key.isEmpty, let id = Base64.urlDecode(key) else {
                    throw .syntax("extensions.prf.evalByCredential key \"\(key)\" is not base64url")
                }
                guard options.allowCredentials.contains(where: { $0.id == id }) else {
                    throw .syntax("extensions.prf.evalByCredential key \"\(key)\" is not the id of an allowCredentials entry")
                }
                byCredential[id] = values
            }
        }
        return AuthenticationState(eval: input.eval, byCredential: byCredential)
    }

    /// With per-credential inputs the client must know which credential answers before it
    /// encrypts the salts. Asking about one allowed credential at a time finds out without a
    /// silent probe, and the authenticator would pick the first usable one in this order anyway.
    static func asksOneCredentialAtATime(_ state: AuthenticationState) -> Bool { !state.byCredential.isEmpty }

    static func prepareAttempt(_ state: inout AuthenticationState, allowList: [CredentialDescriptor], _ context: ClientExtensionContext,
                               _ authenticatorInputs: inout GetAssertionExtensionInputs) throws(WebAuthnClientError) {
        state.request = nil
        var values = state.eval
        if allowList.count == 1, let specific = state.byCredential[allowList[0].id] { values = specific }
        guard let values, context.info.extensions.contains(HMACSecretExtension.identifier) else { return }
        if state.session == nil { state.session = try PRFEvaluation(authenticator: context.authenticator, info: context.info) }
        guard let session = state.session else { return }
        let request = try session.request(for: values)
        authenticatorInputs.hmacSecret = request.input
        state.request = request
    }

    static func authenticationOutput(_ state: AuthenticationState, _ response: GetAssertionResponse) throws(WebAuthnClientError) -> PRFOutputs? {
        var prf = PRFOutputs()
        if let request = state.request, let output = response.authenticatorData.extensions?[.text(HMACSecretExtension.identifier)]?.bytesValue {
            prf.results = try PRFEvaluation.results(output, for: request)
        }
        return prf
    }
}

/// `AuthenticationExtensionsPRFValues` (L3 §10.1.4): one or two PRF inputs of any length.
public struct PRFValues: Equatable, Sendable {
    public var first: [UInt8]
    public var second: [UInt8]?

    public init(first: [UInt8], second: [UInt8]? = nil) {
        self.first = first
        self.second = second
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        first = try json.required("first").base64url()
        second = try json.optional("second")?.base64url()
    }
}

/// `AuthenticationExtensionsPRFInputs` (L3 §10.1.4).
public struct PRFInputs: Equatable, Sendable {
    public var eval: PRFValues?
    /// Keyed by base64url credential id, as the RP wrote it; checked against allowCredentials
    /// when the ceremony runs (L3 §10.1.4 authentication step 2).
    public var evalByCredential: [String: PRFValues]

    public init(eval: PRFValues? = nil, evalByCredential: [String: PRFValues] = [:]) {
        self.eval = eval
        self.evalByCredential = evalByCredential
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        eval = try json.optional("eval").map { (member) throws(WebAuthnClientError) in try PRFValues(member) }
        var byCredential: [String: PRFValues] = [:]
        for (key, member) in try json.optional("evalByCredential")?.members() ?? [] {
            byCredential[key] = try PRFValues(member)
        }
        evalByCredential = byCredential
    }
}

/// `AuthenticationExtensionsPRFOutputs` (L3 §10.1.4): `enabled` at registration, and the PRF
/// results when they were evaluated.
public struct PRFOutputs: ClientExtensionOutput {
    public var enabled: Bool?
    public var results: PRFValues?

    public init(enabled: Bool? = nil, results: PRFValues? = nil) {
        self.enabled = enabled
        self.results = results
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let enabled { members.append(("enabled", .bool(enabled))) }
        if let results {
            var values: [(String, JSONValue)] = [("first", .string(Base64.urlEncode(results.first)))]
            if let second = results.second { values.append(("second", .string(Base64.urlEncode(second)))) }
            members.append(("results", .object(values)))
        }
        return .object(members)
    }
}

extension RegistrationExtensionInputs {
    /// `prf` (L3 §10.1.4).
    public var prf: PRFInputs? {
        get { values[PRFClientExtension.identifier] }
        set { values[PRFClientExtension.identifier] = newValue }
    }
}

extension AuthenticationExtensionInputs {
    /// `prf` (L3 §10.1.4).
    public var prf: PRFInputs? {
        get { values[PRFClientExtension.identifier] }
        set { values[PRFClientExtension.identifier] = newValue }
    }
}

extension ClientExtensionResults {
    /// `prf` (L3 §10.1.4).
    public var prf: PRFOutputs? {
        get { self[PRFClientExtension.identifier] }
        set { self[PRFClientExtension.identifier] = newValue }
    }
}
