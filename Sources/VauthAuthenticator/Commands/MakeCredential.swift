import VauthCBOR
import VauthCrypto

/// authenticatorMakeCredential (0x01) parameters (CTAP 2.2 §6.1).
public struct MakeCredentialRequest: Sendable {
    public var clientDataHash: [UInt8]
    public var rp: RelyingPartyEntity
    public var user: UserEntity
    public var pubKeyCredParams: [CredentialParameter]
    public var excludeList: [CredentialDescriptor]
    public var extensions: MakeCredentialExtensionInputs
    /// options.rk: make a discoverable credential.
    public var residentKey: Bool
    /// options.uv: perform built-in user verification.
    public var userVerification: Bool
    /// options.up; `false` is not allowed for makeCredential.
    public var userPresence: Bool?
    public var pinUvAuthParam: [UInt8]?
    public var pinUvAuthProtocol: Int?
    public var enterpriseAttestation: Int?
    /// attestationFormatsPreference (0x0B): the platform's formats, most preferred first.
    public var attestationFormatsPreference: [String]?
    /// Not CTAP: an in-process platform's request for a particular attestation kind (WebAuthn
    /// conveyance `indirect` asks for self attestation). Never read from the wire.
    public var requestedAttestation: AttestationKind?

    public init(clientDataHash: [UInt8], rp: RelyingPartyEntity, user: UserEntity, pubKeyCredParams: [CredentialParameter],
                excludeList: [CredentialDescriptor] = [], extensions: MakeCredentialExtensionInputs = .init(),
                residentKey: Bool = false, userVerification: Bool = false, userPresence: Bool? = nil,
                pinUvAuthParam: [UInt8]? = nil, pinUvAuthProtocol: Int? = nil, enterpriseAttestation: Int? = nil,
                attestationFormatsPreference: [String]? = nil, requestedAttestation: AttestationKind? = nil) {
        self.clientDataHash = clientDataHash
        self.rp = rp
        self.user = user
        self.pubKeyCredParams = pubKeyCredParams
        self.excludeList = excludeList
        self.extensions = extensions
        self.residentKey = residentKey
        self.userVerification = userVerification
        self.userPresence = userPresence
        self.pinUvAuthParam = pinUvAuthParam
        self.pinUvAuthProtocol = pinUvAuthProtocol
        self.enterpriseAttestation = enterpriseAttestation
        self.attestationFormatsPreference = attestationFormatsPreference
        self.requestedAttestation = requestedAttestation
    }

    /// Parses the CBOR parameter map of a CTAP request.
    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "makeCredential")
        clientDataHash = try map.required(0x01, "clientDataHash", \.bytesValue)
        rp = try RelyingPartyEntity(cbor: try map.required(0x02, "rp") { $0 })
        user = try UserEntity(cbor: try map.required(0x03, "user") { $0 })
        pubKeyCredParams = try Self.list(map, 0x04, "pubKeyCredParams", CredentialParameter.init(cbor:))
        excludeList = try Self.list(map, 0x05, "excludeList", CredentialDescriptor.init(cbor:), optional: true)
        extensions = try MakeCredentialExtensionInputs(cbor: map.entries[0x06])
        let options = try map.optional(0x07, "options") { $0 }.map { (value) throws(CTAPError) in try CTAPMap(value, context: "options") }
        residentKey = try options?.optional("rk", "rk", \.boolValue) ?? false
        userVerification = try options?.optional("uv", "uv", \.boolValue) ?? false
        userPresence = try options?.optional("up", "up", \.boolValue)
        pinUvAuthParam = try map.optional(0x08, "pinUvAuthParam", \.bytesValue)
        pinUvAuthProtocol = try map.optional(0x09, "pinUvAuthProtocol", \.intValue)
        enterpriseAttestation = try map.optional(0x0A, "enterpriseAttestation", \.intValue)
        attestationFormatsPreference = try map.optional(0x0B, "attestationFormatsPreference") { v in
            v.arrayValue.flatMap { items in items.allSatisfy { $0.textValue != nil } ? items.compactMap(\.textValue) : nil }
        }
        requestedAttestation = nil
        guard clientDataHash.count == 32 else { throw CTAPError(.invalidLength, "clientDataHash must be 32 bytes") }
    }

    /// The CBOR parameter map, as a platform sends it.
    public var cborValue: CBORValue {
        var map: [CBORValue: CBORValue] = [
            0x01: .bytes(clientDataHash), 0x02: rp.cborValue, 0x03: user.cborValue(includeIdentifyingInfo: true),
            0x04: .array(pubKeyCredParams.map(\.cborValue)),
        ]
        if !excludeList.isEmpty { map[0x05] = .array(excludeList.map(\.cborValue)) }
        if let ext = extensions.cborValue { map[0x06] = ext }
        var options: [CBORValue: CBORValue] = [:]
        if residentKey { options["rk"] = true }
        if userVerification { options["uv"] = true }
        if let userPresence { options["up"] = .boolean(userPresence) }
        if !options.isEmpty { map[0x07] = .map(options) }
        if let pinUvAuthParam { map[0x08] = .bytes(pinUvAuthParam) }
        if let pinUvAuthProtocol { map[0x09] = .int(pinUvAuthProtocol) }
        if let enterpriseAttestation { map[0x0A] = .int(enterpriseAttestation) }
        if let attestationFormatsPreference { map[0x0B] = .array(attestationFormatsPreference.map(CBORValue.text)) }
        return .map(map)
    }

    static func list<T>(_ map: CTAPMap, _ key: CBORValue, _ name: String, _ parse: (CBORValue) throws(CTAPError) -> T,
                        optional: Bool = false) throws(CTAPError) -> [T] {
        let items: [CBORValue]
        if optional {
            items = try map.optional(key, name, \.arrayValue) ?? []
        } else {
            items = try map.required(key, name, \.arrayValue)
        }
        var out: [T] = []
        for item in items { out.append(try parse(item)) }
        return out
    }
}

/// authenticatorMakeCredential response (CTAP 2.2 §6.1.2): fmt (1), authData (2), attStmt (3).
public struct MakeCredentialResponse: Sendable {
    public var authenticatorData: AuthenticatorData
    /// The exact bytes the attestation signature covers.
    public var authenticatorDataBytes: [UInt8]
    public var attestation: AttestationStatement
    /// Not CTAP: whether the credential was made discoverable (what WebAuthn's credProps reports).
    public var discoverable: Bool

    public var cborValue: CBORValue {
        [1: .text(attestation.format), 2: .bytes(authenticatorDataBytes), 3: .map(attestation.statement)]
    }

    public var attestationObject: AttestationObject {
        AttestationObject(authenticatorData: authenticatorDataBytes, attestation: attestation)
    }

    /// Parses a response from an authenticator on the other side of a transport.
    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "makeCredential response")
        let format = try map.required(1, "fmt", \.textValue)
        authenticatorDataBytes = try map.required(2, "authData", \.bytesValue)
        authenticatorData = try AuthenticatorData(bytes: authenticatorDataBytes)
        attestation = AttestationStatement(format: format, statement: try map.required(3, "attStmt", \.mapValue))
        discoverable = false
    }

    init(authenticatorData: AuthenticatorData, attestation: AttestationStatement, discoverable: Bool) {
        self.authenticatorData = authenticatorData
        self.authenticatorDataBytes = authenticatorData.bytes
        self.attestation = attestation
        self.discoverable = discoverable
    }
}

extension Authenticator {
    /// authenticatorMakeCredential (CTAP 2.2 §6.1.2; step numbers below are that section's).
    /// The user is always present (the simulated touch is granted at once).
    public func makeCredential(_ request: MakeCredentialRequest) throws(CTAPError) -> MakeCredentialResponse {
        // Steps 1–2: a zero-length pinUvAuthParam asks "is a PIN set?"; any other needs a
        // supported pinUvAuthProtocol.
        let pinUvAuthProtocol = try checkPinUvAuthParamPresence(request.pinUvAuthParam, protocol: request.pinUvAuthProtocol)

        // The attestation format decides which algorithms can be attested (step 19 comes later).
        let format = AttestationFormats.chosen(configured: policy.attestation.format, requested: request.requestedAttestation?.format,
                                               preference: request.attestationFormatsPreference)
        // Step 3: the first pubKeyCredParams entry, in the RP's order, that this authenticator supports.
        let algorithm = try credentialAlgorithm(for: request, format: format)

        // Steps 4–11: options, the demand for user verification, and the verification itself.
        let userVerified = try verifyUser(for: request, pinUvAuthProtocol: pinUvAuthProtocol)

        // Step 12: excludeList. A credProtect level 3 credential stays hidden without UV.
        for descriptor in request.excludeList where descriptor.type == "public-key" {
            let existing: CredentialRecord?
            do { existing = try store.credential(id: descriptor.id, rpId: request.rp.id) } catch { throw .store(error, "look up excluded credentials") }
            if let existing, existing.protection != .userVerificationRequired || userVerified {
                throw CTAPError(.credentialExcluded, "a credential in excludeList already exists on this authenticator")
            }
        }

        // Step 13: user presence, always granted.
        // Step 16: make the key pair and credential.
        let key: SigningKey
        let privateKey: SecretBytes
        let credentialId: [UInt8]
        do {
            key = try keyGenerator(algorithm)
            privateKey = try key.pkcs8DER()
            credentialId = try randomBytes(16)
        } catch {
            throw CTAPError(.other, "key generation failed: \(error)")
        }
        // Step 15: the extensions set what they keep with the credential and give their outputs.
        // Names are stored truncated to 64 bytes, as CTAP 2.2 §6.1.2 allows (NameTruncation).
        var context = MakeCredentialExtensionContext(
            request: request, userVerified: userVerified,
            record: CredentialRecord(
                id: credentialId, rp: request.rp.truncatedForStorage, user: request.user.truncatedForStorage, algorithm: algorithm, privateKey: privateKey,
                signCount: 0, signCounterMode: policy.signCounter, discoverable: request.residentKey, createdAt: now(),
                backupEligible: policy.backupEligible, backedUp: policy.backupEligible && policy.backedUp),
            authenticator: self)
        let extensionOutputs = try request.extensions.process(&context)
        let record = context.record

        // Step 18: authenticator data with attested credential data; step 19: the attestation statement.
        var flags: AuthenticatorFlags = [.userPresent]
        if userVerified { flags.insert(.userVerified) }
        if record.backupEligible { flags.insert(.backupEligible) }
        if record.backedUp { flags.insert(.backedUp) }
        let publicKey: COSEKey
        do { publicKey = try key.publicKey.coseKey() } catch { throw CTAPError(.other, "public key: \(error)") }
        let authenticatorData = AuthenticatorData(
            rpIdHash: SHA256.hash(Array(request.rp.id.utf8)), flags: flags, signCount: record.signCount,
            attestedCredentialData: AttestedCredentialData(aaguid: format.attestedAAGUID(aaguid), credentialId: credentialId, publicKey: publicKey),
            extensions: extensionOutputs)
        let attestation: AttestationStatement
        do {
            attestation = try format.statement(AttestationContext(
                authenticatorData: authenticatorData, authenticatorDataBytes: authenticatorData.bytes,
                clientDataHash: request.clientDataHash, credentialKey: key, authenticator: self))
        } catch {
            throw CTAPError(.other, "attestation signature failed: \(error)")
        }

        // Step 17: store, replacing a discoverable credential of the same RP and user.
        try save(record, replacingTheSameUserOf: request)
        return MakeCredentialResponse(authenticatorData: authenticatorData, attestation: attestation, discoverable: request.residentKey)
    }

    /// Steps 4–11 of makeCredential: whether the user is verified, or why the request fails.
    private func verifyUser(for request: MakeCredentialRequest, pinUvAuthProtocol: PinUvAuthProtocol?) throws(CTAPError) -> Bool {
        // Steps 4–5: options. up=false makes no sense for a ceremony that creates a credential;
        // with a pinUvAuthParam the "uv" option is ignored (the token carries the verification).
        if request.userPresence == false { throw CTAPError(.invalidOption, "options.up=false is not allowed in makeCredential") }
        let uvOption = request.userVerification && pinUvAuthProtocol == nil
        if uvOption && policy.userVerification == .unsupported {
            throw CTAPError(.invalidOption, "user verification was requested but this authenticator has no built-in method")
        }

        // Steps 6–8: an authenticator protected by user verification (a PIN, or built-in UV)
        // demands it. With makeCredUvNotRqd (advertised while no PIN is set) only discoverable
        // credentials need it; once a PIN is set, every credential does.
        if isProtectedByUserVerification, pinUvAuthProtocol == nil, !uvOption {
            if !makeCredUvNotRequired || request.residentKey {
                throw CTAPError(.puatRequired, request.residentKey
                    ? "a discoverable credential needs user verification (a pinUvAuthParam or options.uv)"
                    : "a PIN is set: makeCredential needs a pinUvAuthParam")
            }
        }

        // Step 9: enterprise attestation is not offered (getInfo has no "ep").
        if request.enterpriseAttestation != nil { throw CTAPError(.invalidParameter, "enterprise attestation is not supported") }

        // Step 11: the pinUvAuthToken, or built-in user verification.
        if let pinUvAuthProtocol, let param = request.pinUvAuthParam {
            try verifyPinUvAuthParam(param, protocol: pinUvAuthProtocol, clientDataHash: request.clientDataHash,
                                     permission: .makeCredential, rpId: request.rp.id)
            return true
        }
        return try performUserVerification(requested: uvOption)
    }

    /// Step 17 of makeCredential: a discoverable credential replaces the one of the same RP and
    /// user handle, if any.
    private func save(_ record: CredentialRecord, replacingTheSameUserOf request: MakeCredentialRequest) throws(CTAPError) {
        var replacing: [UInt8]?
        do {
            if request.residentKey {
                let digest = CredentialSummary.userHandleDigest(request.user.id)
                replacing = try store.discoverableCredentials(rpId: request.rp.id).first { $0.userHandleDigest == digest }?.id
            }
            try store.save(record, replacing: replacing)
        } catch {
            throw .store(error, "save the new credential")
        }
    }

    /// The first pubKeyCredParams entry, in the RP's order, that this authenticator supports and
    /// the attestation format can attest (CTAP 2.2 §6.1.2 step 3).
    private func credentialAlgorithm(for request: MakeCredentialRequest, format: any AttestationFormat.Type) throws(CTAPError) -> COSEAlgorithm {
        let enabled = policy.algorithms.filter { format.credentialAlgorithms?.contains($0) ?? true }
        guard let algorithm = request.pubKeyCredParams.lazy
            .filter({ $0.type == "public-key" })
            .compactMap({ COSEAlgorithm(rawValue: $0.algorithm) })
            .first(where: { enabled.contains($0) }) else {
            let attestable = enabled == policy.algorithms ? "" : " for \(format.name) attestation"
            throw CTAPError(.unsupportedAlgorithm,
                            "none of the RP's algorithms \(request.pubKeyCredParams.map(\.algorithm)) is enabled\(attestable) \(enabled.map(\.name))")
        }
        return algorithm
    }
}
