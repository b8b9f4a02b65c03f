import VauthAuthenticator
import VauthCBOR
import VauthCrypto

extension WebAuthnClient {
    /// `navigator.credentials.get({publicKey: options})` called from `origin` (L3 §5.1.4.1).
    ///
    /// `preferredCredentialId` is the account the simulated user picks: among discoverable
    /// credentials when allowCredentials is empty (the authenticator's newest otherwise), or
    /// among allowCredentials, which must then contain it.
    public func get(_ options: PublicKeyCredentialRequestOptions, origin: Origin,
                    preferredCredentialId: [UInt8]? = nil) throws(WebAuthnClientError) -> AuthenticationResponseJSON {
        // The RP ID.
        let rpId = try rpIdValidator.rpId(options.rpId, for: origin)

        // Extension input checks before anything is sent (prf: L3 §10.1.4 authentication steps 1–2).
        let extensionRun = try ClientExtensions.beginAuthentication(options)

        // Client data and its hash.
        let clientData = clientData(.get, challenge: options.challenge, origin: origin)
        let clientDataHash = clientData.hash

        authenticator.transports = (configuration.attachment ?? .crossPlatform).transports
        let info = authenticator.getInfo()
        let userVerification = try userVerificationOption(options.userVerification, info: info)
        var allowList = options.allowCredentials.map { CredentialDescriptor(id: $0.id, type: $0.type, transports: $0.transports) }
        if let preferredCredentialId, !allowList.isEmpty {
            allowList = allowList.filter { $0.id == preferredCredentialId }
            guard !allowList.isEmpty else { throw .notAllowed("the chosen credential is not in allowCredentials") }
        }

        // A list longer than the authenticator takes is narrowed by silent pre-flights (batching).
        if !extensionRun.asksOneCredentialAtATime {
            allowList = try allowListToSend(allowList, rpId: rpId, clientDataHash: clientDataHash, userVerification: userVerification, info: info)
        }
        // An extension whose input depends on the credential (prf's evalByCredential) has the
        // client ask about one allowed credential at a time.
        let attempts: [[CredentialDescriptor]] = extensionRun.asksOneCredentialAtATime && allowList.count > 1 ? allowList.map { [$0] } : [allowList]
        let context = ClientExtensionContext(authenticator: authenticator, info: info)
        var lastError: WebAuthnClientError?
        for attempt in attempts {
            let extensions = try extensionRun.prepareAttempt(allowList: attempt, context)
            let request = GetAssertionRequest(rpId: rpId, clientDataHash: clientDataHash, allowList: attempt, extensions: extensions,
                                              userVerification: userVerification,
                                              preferredCredentialId: allowList.isEmpty ? preferredCredentialId : nil)
            let response: GetAssertionResponse
            do {
                response = try authenticator.getAssertion(request)
            } catch {
                let mapped = WebAuthnClientError(ctap: error, during: "getAssertion")
                if attempts.count > 1 && error.underlying == nil && error.status == .noCredentials {
                    lastError = mapped
                    continue
                }
                throw mapped
            }

            let results = try extensionRun.results(response)
            return AuthenticationResponseJSON(
                rawId: response.credentialId, authenticatorAttachment: configuration.attachment ?? .crossPlatform,
                clientExtensionResults: results, clientDataJSON: clientData.serialized,
                authenticatorData: response.authenticatorDataBytes, signature: response.signature, userHandle: response.user?.id)
        }
        throw lastError ?? .notAllowed("getAssertion: no credential matched")
    }

    /// Parses `optionsJSON` and runs ``get(_:origin:preferredCredentialId:)`` from the origin `origin`.
    public func get(optionsJSON: String, origin: String, preferredCredentialId: [UInt8]? = nil) throws(WebAuthnClientError) -> AuthenticationResponseJSON {
        let parsedOrigin = try Origin(origin)
        return try get(try PublicKeyCredentialRequestOptions(json: optionsJSON), origin: parsedOrigin,
                       preferredCredentialId: preferredCredentialId)
    }
}
