import VauthAuthenticator
import VauthCBOR
import VauthCrypto

extension WebAuthnClient {
    /// `navigator.credentials.create({publicKey: options})` called from `origin` (L3 §5.1.3).
    public func create(_ options: PublicKeyCredentialCreationOptions, origin: Origin) throws(WebAuthnClientError) -> RegistrationResponseJSON {
        // The user handle is 1 to 64 bytes (re-checked for options built in code).
        guard (1...64).contains(options.user.id.count) else { throw .type("user.id must be 1 to 64 bytes, not \(options.user.id.count)") }
        // The RP ID.
        let rpId = try rpIdValidator.rpId(options.rp.id, for: origin)

        // Credential types and algorithms, in the RP's order; none given means ES256, RS256.
        var parameters = options.pubKeyCredParams.filter { $0.type == "public-key" }
        if options.pubKeyCredParams.isEmpty {
            parameters = [PublicKeyCredentialParameters(alg: COSEAlgorithm.es256.rawValue), PublicKeyCredentialParameters(alg: COSEAlgorithm.rs256.rawValue)]
        }
        guard !parameters.isEmpty else { throw .notSupported("no member of pubKeyCredParams has type \"public-key\"") }

        // Client data and its hash.
        let clientData = clientData(.create, challenge: options.challenge, origin: origin)
        let clientDataHash = clientData.hash

        // Is this authenticator eligible, and with which options?
        let selection = options.authenticatorSelection ?? AuthenticatorSelectionCriteria()
        let attachment = try attachment(requested: selection.authenticatorAttachment)
        // The in-process authenticator is whatever this client attaches it as: its getInfo
        // transports then agree with the transports the response reports.
        authenticator.transports = attachment.transports
        let info = authenticator.getInfo()
        let (residentKey, userVerification) = try credentialOptions(selection, info: info)

        // Extensions (L3 §5.1.3 step 20): each requested one checks its input and sets its CTAP input.
        var extensions = MakeCredentialExtensionInputs()
        let extensionRun = try ClientExtensions.prepareRegistration(
            options.extensions, ClientExtensionContext(authenticator: authenticator, info: info), &extensions)

        // Attestation conveyance (L3 §5.4.7).
        let attestation = options.attestation.authenticatorRequest(attestationFormats: options.attestationFormats)

        let request = MakeCredentialRequest(
            clientDataHash: clientDataHash,
            rp: RelyingPartyEntity(id: rpId, name: options.rp.name),
            user: UserEntity(id: options.user.id, name: options.user.name, displayName: options.user.displayName),
            pubKeyCredParams: parameters.map { CredentialParameter(algorithm: $0.alg, type: $0.type) },
            excludeList: options.excludeCredentials.map { CredentialDescriptor(id: $0.id, type: $0.type, transports: $0.transports) },
            extensions: extensions, residentKey: residentKey, userVerification: userVerification,
            attestationFormatsPreference: attestation.formatsPreference, requestedAttestation: attestation.requested)
        let response: MakeCredentialResponse
        do { response = try authenticator.makeCredential(request) } catch { throw WebAuthnClientError(ctap: error, during: "makeCredential") }

        guard let attested = response.authenticatorData.attestedCredentialData else {
            throw .unknown("makeCredential: the authenticator data has no attested credential data")
        }
        let (authenticatorData, statement) = options.attestation.conveyed(response)
        let results = try extensionRun.results(response)

        // Written from the COSE_Key's numbers: parsing it into an OpenSSL key only to encode it again
        // would cost a decoder and an encoder.
        let publicKey = SubjectPublicKeyInfo.der(for: attested.publicKey)
        return RegistrationResponseJSON(
            rawId: attested.credentialId, authenticatorAttachment: attachment, clientExtensionResults: results,
            clientDataJSON: clientData.serialized, authenticatorData: authenticatorData, transports: attachment.transports,
            publicKey: publicKey, publicKeyAlgorithm: attested.publicKey.algorithm,
            attestationObject: AttestationObject(authenticatorData: authenticatorData, attestation: statement).encoded)
    }

    /// Parses `optionsJSON` and runs ``create(_:origin:)`` from the origin `origin`.
    public func create(optionsJSON: String, origin: String) throws(WebAuthnClientError) -> RegistrationResponseJSON {
        let parsedOrigin = try Origin(origin)
        return try create(try PublicKeyCredentialCreationOptions(json: optionsJSON), origin: parsedOrigin)
    }

    /// The CTAP `rk` and `uv` options for the RP's authenticatorSelection (L3 §5.1.3, §5.4.4).
    func credentialOptions(_ selection: AuthenticatorSelectionCriteria, info: AuthenticatorInfo)
        throws(WebAuthnClientError) -> (residentKey: Bool, userVerification: Bool) {
        let residentKey: Bool
        switch selection.effectiveResidentKey {
        case .required:
            guard info.options["rk"] == true else { throw .notAllowed("a discoverable credential is required but the authenticator cannot store one") }
            residentKey = true
        case .preferred:
            residentKey = info.options["rk"] == true
        case .discouraged:
            residentKey = false
        }
        var userVerification = try userVerificationOption(selection.userVerification, info: info)
        // CTAP 2.2 §6.1.2 steps 6–8: an authenticator protected by built-in UV makes a
        // discoverable credential only with UV (CTAP2_ERR_PUAT_REQUIRED otherwise), so a
        // platform verifies the user for one whatever the RP's preference, as browsers do.
        if residentKey && !userVerification && info.options["uv"] == true { userVerification = true }
        return (residentKey, userVerification)
    }

    /// The attachment vauth acts as: the configured one, else the RP's wish, else cross-platform.
    func attachment(requested: AuthenticatorAttachment?) throws(WebAuthnClientError) -> AuthenticatorAttachment {
        guard let configured = configuration.attachment else { return requested ?? .crossPlatform }
        if let requested, requested != configured {
            throw .notAllowed("the RP asks for a \(requested.rawValue) authenticator but this one is \(configured.rawValue)")
        }
        return configured
    }
}
