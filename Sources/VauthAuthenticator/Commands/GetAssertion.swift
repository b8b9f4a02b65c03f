import VauthCBOR
import VauthCrypto

/// authenticatorGetAssertion (0x02) parameters (CTAP 2.2 §6.2).
public struct GetAssertionRequest: Sendable {
    public var rpId: String
    public var clientDataHash: [UInt8]
    public var allowList: [CredentialDescriptor]
    public var extensions: GetAssertionExtensionInputs
    /// options.up; absent means true.
    public var userPresence: Bool
    /// options.uv.
    public var userVerification: Bool
    public var pinUvAuthParam: [UInt8]?
    public var pinUvAuthProtocol: Int?
    /// Not CTAP: a platform that already knows which discoverable credential the user picked
    /// (`vauth get --credential`) names it here. Never read from the wire.
    public var preferredCredentialId: [UInt8]?

    public init(rpId: String, clientDataHash: [UInt8], allowList: [CredentialDescriptor] = [],
                extensions: GetAssertionExtensionInputs = .init(), userPresence: Bool = true, userVerification: Bool = false,
                pinUvAuthParam: [UInt8]? = nil, pinUvAuthProtocol: Int? = nil, preferredCredentialId: [UInt8]? = nil) {
        self.rpId = rpId
        self.clientDataHash = clientDataHash
        self.allowList = allowList
        self.extensions = extensions
        self.userPresence = userPresence
        self.userVerification = userVerification
        self.pinUvAuthParam = pinUvAuthParam
        self.pinUvAuthProtocol = pinUvAuthProtocol
        self.preferredCredentialId = preferredCredentialId
    }

    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "getAssertion")
        rpId = try map.required(0x01, "rpId", \.textValue)
        clientDataHash = try map.required(0x02, "clientDataHash", \.bytesValue)
        allowList = try MakeCredentialRequest.list(map, 0x03, "allowList", CredentialDescriptor.init(cbor:), optional: true)
        extensions = try GetAssertionExtensionInputs(cbor: map.entries[0x04])
        let options = try map.optional(0x05, "options") { $0 }.map { (value) throws(CTAPError) in try CTAPMap(value, context: "options") }
        // CTAP 2.2 §6.2.2 step 5: "rk" is not an option of getAssertion.
        if options?.entries["rk"] != nil { throw CTAPError(.unsupportedOption, "options.rk is not valid in getAssertion") }
        userPresence = try options?.optional("up", "up", \.boolValue) ?? true
        userVerification = try options?.optional("uv", "uv", \.boolValue) ?? false
        pinUvAuthParam = try map.optional(0x06, "pinUvAuthParam", \.bytesValue)
        pinUvAuthProtocol = try map.optional(0x07, "pinUvAuthProtocol", \.intValue)
        preferredCredentialId = nil
        guard clientDataHash.count == 32 else { throw CTAPError(.invalidLength, "clientDataHash must be 32 bytes") }
    }

    public var cborValue: CBORValue {
        var map: [CBORValue: CBORValue] = [0x01: .text(rpId), 0x02: .bytes(clientDataHash)]
        if !allowList.isEmpty { map[0x03] = .array(allowList.map(\.cborValue)) }
        if let ext = extensions.cborValue { map[0x04] = ext }
        var options: [CBORValue: CBORValue] = [:]
        if !userPresence { options["up"] = false }
        if userVerification { options["uv"] = true }
        if !options.isEmpty { map[0x05] = .map(options) }
        if let pinUvAuthParam { map[0x06] = .bytes(pinUvAuthParam) }
        if let pinUvAuthProtocol { map[0x07] = .int(pinUvAuthProtocol) }
        return .map(map)
    }
}

/// authenticatorGetAssertion / authenticatorGetNextAssertion response (CTAP 2.2 §6.2.2).
public struct GetAssertionResponse: Sendable {
    public var credentialId: [UInt8]
    public var authenticatorData: AuthenticatorData
    public var authenticatorDataBytes: [UInt8]
    public var signature: [UInt8]
    /// Present for discoverable credentials; name and displayName only after UV.
    public var user: UserEntity?
    /// Set on the first response of a discoverable (no allow list) request that matched several.
    public var numberOfCredentials: Int?
    /// Not CTAP: the algorithm of the credential, for a client that reports it.
    public var algorithm: COSEAlgorithm?

    public init(credentialId: [UInt8], authenticatorData: AuthenticatorData, authenticatorDataBytes: [UInt8], signature: [UInt8],
                user: UserEntity?, numberOfCredentials: Int?, algorithm: COSEAlgorithm?) {
        self.credentialId = credentialId
        self.authenticatorData = authenticatorData
        self.authenticatorDataBytes = authenticatorDataBytes
        self.signature = signature
        self.user = user
        self.numberOfCredentials = numberOfCredentials
        self.algorithm = algorithm
    }

    public var cborValue: CBORValue {
        var map: [CBORValue: CBORValue] = [
            1: CredentialDescriptor(id: credentialId).cborValue, 2: .bytes(authenticatorDataBytes), 3: .bytes(signature),
        ]
        if let user { map[4] = user.cborValue(includeIdentifyingInfo: authenticatorData.flags.contains(.userVerified)) }
        if let numberOfCredentials { map[5] = .int(numberOfCredentials) }
        return .map(map)
    }

    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "getAssertion response")
        credentialId = try CredentialDescriptor(cbor: try map.required(1, "credential") { $0 }).id
        authenticatorDataBytes = try map.required(2, "authData", \.bytesValue)
        authenticatorData = try AuthenticatorData(bytes: authenticatorDataBytes)
        signature = try map.required(3, "signature", \.bytesValue)
        user = try map.optional(4, "user") { $0 }.map { (value) throws(CTAPError) in try UserEntity(cbor: value) }
        numberOfCredentials = try map.optional(5, "numberOfCredentials", \.intValue)
        algorithm = nil
    }
}

/// What getNextAssertion continues (CTAP 2.2 §6.3): the rest of the matched credentials.
struct PendingAssertions {
    var request: GetAssertionRequest
    var remaining: [[UInt8]]
    var userVerified: Bool
    var startedAt: Int64
}

extension Authenticator {
    /// authenticatorGetAssertion (CTAP 2.2 §6.2.2; step numbers below are that section's).
    public func getAssertion(_ request: GetAssertionRequest) throws(CTAPError) -> GetAssertionResponse {
        pendingAssertions = nil
        // Steps 1–2: zero-length pinUvAuthParam, pinUvAuthProtocol.
        let pinUvAuthProtocol = try checkPinUvAuthParamPresence(request.pinUvAuthParam, protocol: request.pinUvAuthProtocol)
        // Steps 3–4: options (rk was refused while parsing); with a pinUvAuthParam "uv" is ignored.
        // Without any UV an assertion is still allowed: getAssertion has no PUAT_REQUIRED rule
        // unless alwaysUv, which this authenticator does not set.
        let userVerified: Bool
        if let pinUvAuthProtocol, let param = request.pinUvAuthParam {
            // Step 6: the pinUvAuthToken must verify and carry the ga permission for this RP.
            try verifyPinUvAuthParam(param, protocol: pinUvAuthProtocol, clientDataHash: request.clientDataHash,
                                     permission: .getAssertion, rpId: request.rpId)
            userVerified = true
        } else {
            userVerified = try performUserVerification(requested: request.userVerification)
        }
        guard request.allowList.count <= Self.maximumCredentialCountInList else {
            throw CTAPError(.limitExceeded, "allowList has \(request.allowList.count) entries; the most is \(Self.maximumCredentialCountInList)")
        }

        // Step 7: locate applicable credentials, dropping those credProtect hides (CTAP 2.2 §12.1).
        if !request.allowList.isEmpty {
            // The first allow-listed credential this authenticator holds and may use; the rest are
            // not read at all.
            for descriptor in request.allowList where descriptor.type == "public-key" {
                let record: CredentialRecord?
                do {
                    // A U2F registration is stored under its application parameter (CTAP 2.2
                    // §10.3): a CTAP2 request for the same RP finds it through SHA-256(rpId).
                    record = try store.credential(id: descriptor.id, rpId: request.rpId)
                        ?? store.credential(id: descriptor.id, rpId: U2FRegistration.rpId(forApplication: SHA256.hash(Array(request.rpId.utf8))))
                } catch { throw .store(error, "look up credentials") }
                if let record, isUsable(record.protection, userVerified: userVerified, allowListed: true) {
                    return try assert(with: record, request: request, userVerified: userVerified, numberOfCredentials: nil,
                                      accountSelection: false)
                }
            }
            throw CTAPError(.noCredentials, "no credential for \(request.rpId) matches")
        }

        var summaries: [CredentialSummary]
        do { summaries = try store.discoverableCredentials(rpId: request.rpId) } catch { throw .store(error, "look up credentials") }
        summaries = summaries.filter { isUsable($0.protection, userVerified: userVerified, allowListed: false) }
        if let preferred = request.preferredCredentialId {
            summaries = summaries.filter { $0.id == preferred }
            guard !summaries.isEmpty else {
                throw CTAPError(.noCredentials, "no usable discoverable credential with the chosen id for \(request.rpId)")
            }
        }
        // Decrypt only the first now; getNextAssertion reads the others when asked.
        let record: CredentialRecord?
        do { record = try summaries.first.flatMap { try store.credential(id: $0.id, rpId: request.rpId) } } catch {
            throw .store(error, "read a credential")
        }
        guard let record else { throw CTAPError(.noCredentials, "no discoverable credential for \(request.rpId)") }
        let count = summaries.count
        if count > 1 {
            pendingAssertions = PendingAssertions(request: request, remaining: summaries.dropFirst().map(\.id),
                                                  userVerified: userVerified, startedAt: now())
        }
        return try assert(with: record, request: request, userVerified: userVerified, numberOfCredentials: count > 1 ? count : nil,
                          accountSelection: count > 1)
    }

    /// authenticatorGetNextAssertion (CTAP 2.2 §6.3): the next credential of the last
    /// discoverable getAssertion, within 30 seconds of it.
    public func getNextAssertion() throws(CTAPError) -> GetAssertionResponse {
        guard var pending = pendingAssertions, now() - pending.startedAt <= 30_000 else {
            pendingAssertions = nil
            throw CTAPError(.notAllowed, "no getAssertion to continue")
        }
        while !pending.remaining.isEmpty {
            let id = pending.remaining.removeFirst()
            pendingAssertions = pending.remaining.isEmpty ? nil : pending
            let record: CredentialRecord?
            do { record = try store.credential(id: id, rpId: pending.request.rpId) } catch { throw .store(error, "read a credential") }
            if let record {
                return try assert(with: record, request: pending.request, userVerified: pending.userVerified, numberOfCredentials: nil,
                                  accountSelection: true)
            }
        }
        pendingAssertions = nil
        throw CTAPError(.notAllowed, "no more credentials")
    }

    /// credProtect: level 3 needs UV; level 2 needs UV or an allow list naming the credential.
    func isUsable(_ protection: CredentialProtection, userVerified: Bool, allowListed: Bool) -> Bool {
        switch protection {
        case .userVerificationOptional: return true
        case .userVerificationOptionalWithCredentialIDList: return userVerified || allowListed
        case .userVerificationRequired: return userVerified
        }
    }

    /// Steps 8–12: user presence (granted), extensions, counter, authenticator data, signature.
    /// The user's name and display name are returned only to a verified user choosing among
    /// several accounts on an authenticator without a display; otherwise only the user handle
    /// (CTAP 2.2 §6.2.2, response member "user").
    private func assert(with record: CredentialRecord, request: GetAssertionRequest, userVerified: Bool,
                        numberOfCredentials: Int?, accountSelection: Bool) throws(CTAPError) -> GetAssertionResponse {
        let extensionOutputs = try request.extensions.process(
            GetAssertionExtensionContext(request: request, userVerified: userVerified, record: record, authenticator: self))

        let user = userVerified && accountSelection ? record.user : UserEntity(id: record.user.id)

        let mode = counterOverride ?? record.signCounterMode
        var signCount: UInt32 = 0
        if mode == .increment {
            // Saturate rather than wrap: a wrapped counter would look like a cloned authenticator.
            signCount = record.signCount == UInt32.max ? UInt32.max : record.signCount + 1
            do { try store.updateSignCount(id: record.id, to: signCount) } catch { throw .store(error, "update the signature counter") }
        }

        var flags: AuthenticatorFlags = []
        if request.userPresence { flags.insert(.userPresent) }
        if userVerified { flags.insert(.userVerified) }
        if record.backupEligible { flags.insert(.backupEligible) }
        if record.backupEligible && (backedUpOverride ?? record.backedUp) { flags.insert(.backedUp) }
        let authenticatorData = AuthenticatorData(rpIdHash: SHA256.hash(Array(request.rpId.utf8)), flags: flags,
                                                  signCount: signCount, extensions: extensionOutputs)
        let bytes = authenticatorData.bytes
        let signature: [UInt8]
        do { signature = try signer(try keyCache.signingKey(for: record), bytes + request.clientDataHash) } catch {
            throw CTAPError(.other, "signing failed: \(error)")
        }
        return GetAssertionResponse(credentialId: record.id, authenticatorData: authenticatorData, authenticatorDataBytes: bytes,
                                    signature: signature, user: record.discoverable ? user : nil,
                                    numberOfCredentials: numberOfCredentials, algorithm: record.algorithm)
    }
}
