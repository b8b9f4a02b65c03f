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

        // prf input checks before anything is sent (L3 §10.1.4 authentication steps 1–2).
        var evalByCredential: [[UInt8]: PRFValues] = [:]
        if let prf = options.extensions.prf, !prf.evalByCredential.isEmpty {
            guard !options.allowCredentials.isEmpty else {
                throw .notSupported("extensions.prf.evalByCredential needs a non-empty allowCredentials")
            }
            for (key, values) in prf.evalByCredential.sorted(by: { $0.key < $1.key }) {
                guard !key.isEmpty, let id = Base64.urlDecode(key) else {
                    throw .syntax("extensions.prf.evalByCredential key \"\(key)\" is not base64url")
                }
                guard options.allowCredentials.contains(where: { $0.id == id }) else {
                    throw .syntax("extensions.prf.evalByCredential key \"\(key)\" is not the id of an allowCredentials entry")
                }
                evalByCredential[id] = values
            }
        }

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

        // With per-credential PRF inputs the client must know which credential answers before it
        // encrypts the salts. Asking about one allowed credential at a time finds out without a
        // silent probe, and the authenticator would pick the first usable one in this order anyway.
        if evalByCredential.isEmpty {
            allowList = try allowListToSend(allowList, rpId: rpId, clientDataHash: clientDataHash, userVerification: userVerification, info: info)
        }
        let prfInputs = options.extensions.prf
        let attempts: [[CredentialDescriptor]] = !evalByCredential.isEmpty && allowList.count > 1 ? allowList.map { [$0] } : [allowList]
        var prfSession: PRFEvaluation?
        var lastError: WebAuthnClientError?
        for attempt in attempts {
            var values = prfInputs?.eval
            if attempt.count == 1, let specific = evalByCredential[attempt[0].id] { values = specific }
            var extensions = GetAssertionExtensionInputs()
            var prfRequest: PRFEvaluation.Request?
            if let values, info.extensions.contains("hmac-secret") {
                if prfSession == nil { prfSession = try PRFEvaluation(authenticator: authenticator, info: info) }
                if let prfSession {
                    let request = try prfSession.request(for: values)
                    extensions.hmacSecret = request.input
                    prfRequest = request
                }
            }
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

            var results = ClientExtensionResults()
            if prfInputs != nil {
                var prf = PRFOutputs()
                if let prfRequest, let output = response.authenticatorData.extensions?["hmac-secret"]?.bytesValue {
                    prf.results = try PRFEvaluation.results(output, for: prfRequest)
                }
                results.prf = prf
            }
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
