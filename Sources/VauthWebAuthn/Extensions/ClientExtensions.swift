import VauthAuthenticator

/// The extensions vauth's client processes, in the order it reads their inputs, runs them and
/// writes their outputs. Adding an extension is adding its file and its line here.
enum ClientExtensions {
    static let registered: [any ClientExtension.Type] = [
        CredPropsClientExtension.self,
        CredProtectClientExtension.self,
        LargeBlobClientExtension.self,
        PRFClientExtension.self,
    ]

    /// Every registered extension's inputs from create() options' `extensions`.
    static func registrationInputs(_ json: JSONMember) throws(WebAuthnClientError) -> ExtensionValues {
        var values = ExtensionValues()
        for case let type as any ClientRegistrationExtension.Type in registered {
            try readRegistrationInput(type, json, into: &values)
        }
        return values
    }

    private static func readRegistrationInput<E: ClientRegistrationExtension>(_: E.Type, _ json: JSONMember, into values: inout ExtensionValues)
        throws(WebAuthnClientError) {
        values[E.identifier] = try E.registrationInput(from: json)
    }

    static func authenticationInputs(_ json: JSONMember) throws(WebAuthnClientError) -> ExtensionValues {
        var values = ExtensionValues()
        for case let type as any ClientAuthenticationExtension.Type in registered {
            try readAuthenticationInput(type, json, into: &values)
        }
        return values
    }

    private static func readAuthenticationInput<E: ClientAuthenticationExtension>(_: E.Type, _ json: JSONMember, into values: inout ExtensionValues)
        throws(WebAuthnClientError) {
        values[E.identifier] = try E.authenticationInput(from: json)
    }

    /// create(): each requested extension checks its input and sets its CTAP inputs; the returned
    /// run turns the response into the client extension results.
    static func prepareRegistration(_ inputs: RegistrationExtensionInputs, _ context: ClientExtensionContext,
                                    _ authenticatorInputs: inout MakeCredentialExtensionInputs) throws(WebAuthnClientError) -> RegistrationRun {
        var run = RegistrationRun()
        for case let type as any ClientRegistrationExtension.Type in registered {
            if let finish = try prepare(type, inputs, context, &authenticatorInputs) { run.finishers.append(finish) }
        }
        return run
    }

    private static func prepare<E: ClientRegistrationExtension>(_: E.Type, _ inputs: RegistrationExtensionInputs, _ context: ClientExtensionContext,
                                                                _ authenticatorInputs: inout MakeCredentialExtensionInputs)
        throws(WebAuthnClientError) -> RegistrationRun.Finisher? {
        guard let input: E.RegistrationInput = inputs.values[E.identifier] else { return nil }
        let state = try E.prepareRegistration(input, context, &authenticatorInputs)
        return { (response) throws(WebAuthnClientError) in
            try E.registrationOutput(input, state, response).map { (E.identifier, $0) }
        }
    }

    /// get(): each requested extension checks its input before anything is sent.
    static func beginAuthentication(_ options: PublicKeyCredentialRequestOptions) throws(WebAuthnClientError) -> AuthenticationRun {
        var run = AuthenticationRun()
        for case let type as any ClientAuthenticationExtension.Type in registered {
            if let step = try begin(type, options) { run.steps.append(step) }
        }
        return run
    }

    private static func begin<E: ClientAuthenticationExtension>(_: E.Type, _ options: PublicKeyCredentialRequestOptions)
        throws(WebAuthnClientError) -> (any AuthenticationStep)? {
        guard let input: E.AuthenticationInput = options.extensions.values[E.identifier] else { return nil }
        return AuthenticationStepOf<E>(state: try E.beginAuthentication(input, options))
    }
}

/// The registration extensions of one create() between the request and the response.
struct RegistrationRun {
    typealias Finisher = (MakeCredentialResponse) throws(WebAuthnClientError) -> (String, any ClientExtensionOutput)?
    var finishers: [Finisher] = []

    func results(_ response: MakeCredentialResponse) throws(WebAuthnClientError) -> ClientExtensionResults {
        var results = ClientExtensionResults()
        for finish in finishers {
            if let (identifier, output) = try finish(response) { results.outputs[identifier] = output }
        }
        return results
    }
}

/// The authentication extensions of one get(), across its getAssertion attempts.
struct AuthenticationRun {
    var steps: [any AuthenticationStep] = []

    var asksOneCredentialAtATime: Bool { steps.contains { $0.asksOneCredentialAtATime } }

    func prepareAttempt(allowList: [CredentialDescriptor], _ context: ClientExtensionContext) throws(WebAuthnClientError) -> GetAssertionExtensionInputs {
        var inputs = GetAssertionExtensionInputs()
        for step in steps { try step.prepareAttempt(allowList: allowList, context, &inputs) }
        return inputs
    }

    func results(_ response: GetAssertionResponse) throws(WebAuthnClientError) -> ClientExtensionResults {
        var results = ClientExtensionResults()
        for step in steps {
            if let (identifier, output) = try step.output(response) { results.outputs[identifier] = output }
        }
        return results
    }
}

protocol AuthenticationStep: AnyObject {
    var asksOneCredentialAtATime: Bool { get }
    func prepareAttempt(allowList: [CredentialDescriptor], _ context: ClientExtensionContext,
                        _ inputs: inout GetAssertionExtensionInputs) throws(WebAuthnClientError)
    func output(_ response: GetAssertionResponse) throws(WebAuthnClientError) -> (String, any ClientExtensionOutput)?
}

/// One extension's state through a get(), kept across attempts.
final class AuthenticationStepOf<E: ClientAuthenticationExtension>: AuthenticationStep {
    var state: E.AuthenticationState

    init(state: E.AuthenticationState) { self.state = state }

    var asksOneCredentialAtATime: Bool { E.asksOneCredentialAtATime(state) }

    func prepareAttempt(allowList: [CredentialDescriptor], _ context: ClientExtensionContext,
                        _ inputs: inout GetAssertionExtensionInputs) throws(WebAuthnClientError) {
        try E.prepareAttempt(&state, allowList: allowList, context, &inputs)
    }

    func output(_ response: GetAssertionResponse) throws(WebAuthnClientError) -> (String, any ClientExtensionOutput)? {
        try E.authenticationOutput(state, response).map { (E.identifier, $0) }
    }
}
