import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// The credentials of a registration or a user recovery (contract: "Registration body" and
/// "Recovering a user"): a first factor, Key or Fido2, and optionally a RecoveryKey. Each is
/// saved to the ceremony's ``StagedCredentialStore``; the caller commits it once the command, and
/// the service when online, succeeded.
public struct DfnsNewCredentials: Sendable {
    /// `{firstFactorCredential, recoveryCredential?}`: the registration body, and the
    /// `newCredentials` of a recovery.
    public let body: JSONValue
    /// The new recovery code, to be shown to the user once; `nil` without a RecoveryKey.
    public let recoveryCode: DfnsRecoveryCode?
    /// base64url id of the first-factor credential.
    public let firstFactorId: String
    /// base64url id of the new RecoveryKey credential.
    public let recoveryId: String?
}

/// Makes ``DfnsNewCredentials`` from a registration (or recover-user) challenge.
public struct DfnsCredentialMaker {
    public enum FirstFactor: String, Sendable, CaseIterable {
        case key
        case fido2
    }

    public let origin: Origin
    public let client: WebAuthnClient
    public let staged: StagedCredentialStore
    /// The algorithm of Key and RecoveryKey credentials.
    public let keyAlgorithm: COSEAlgorithm
    /// Milliseconds since the Unix epoch, for the records' creation time.
    public let now: Int64

    public init(origin: Origin, client: WebAuthnClient, staged: StagedCredentialStore, keyAlgorithm: COSEAlgorithm, now: Int64) {
        self.origin = origin
        self.client = client
        self.staged = staged
        self.keyAlgorithm = keyAlgorithm
        self.now = now
    }

    /// `username` (the recovery key's salt) defaults to the challenge's `user.name`.
    public func make(for challenge: DfnsRegistrationChallenge, firstFactor: FirstFactor, recovery: Bool,
                     credentialName: String? = nil, username: String? = nil) throws -> DfnsNewCredentials {
        var first: [(String, JSONValue)]
        let firstFactorId: String
        switch firstFactor {
        case .key:
            try challenge.requireFirstFactor(.key)
            try refuseExcludedKey(challenge)
            let credential = try DfnsKeyCredential.make(challenge: challenge.challenge, origin: origin, algorithm: keyAlgorithm)
            try staged.save(try credential.record(kind: .key, user: challenge.user, origin: origin, now: now), replacing: nil)
            first = [("credentialKind", .string(DfnsCredentialKind.key.rawValue)), ("credentialInfo", credential.credentialInfo)]
            firstFactorId = Base64.urlEncode(credential.credId)
        case .fido2:
            try challenge.requireFirstFactor(.fido2)
            let response = try client.create(try PublicKeyCredentialCreationOptions(json: fido2Options(challenge)), origin: origin)
            first = [
                ("credentialKind", .string(DfnsCredentialKind.fido2.rawValue)),
                ("credentialInfo", [
                    "credId": .string(response.id), "clientData": .string(Base64.urlEncode(response.clientDataJSON)),
                    "attestationData": .string(Base64.urlEncode(response.attestationObject)),
                ]),
            ]
            firstFactorId = response.id
        }
        if let credentialName { first.append(("credentialName", .string(credentialName))) }
        var body: [(String, JSONValue)] = [("firstFactorCredential", .object(first))]
        var code: DfnsRecoveryCode?
        var recoveryId: String?
        if recovery {
            let newCode = try DfnsRecoveryCode.generate()
            let credential = try DfnsKeyCredential.make(challenge: challenge.challenge, origin: origin, algorithm: .es256)
            let encrypted = try DfnsRecoveryKeyEncryption.encrypt(pkcs8: try credential.key.pkcs8DER(), code: newCode,
                                                                  username: username ?? challenge.user.name)
            try staged.save(try credential.record(kind: .recoveryKey, user: challenge.user, origin: origin, now: now), replacing: nil)
            body.append(("recoveryCredential", [
                "credentialKind": .string(DfnsCredentialKind.recoveryKey.rawValue), "credentialInfo": credential.credentialInfo,
                "encryptedPrivateKey": .string(encrypted),
            ]))
            code = newCode
            recoveryId = Base64.urlEncode(credential.credId)
        }
        return DfnsNewCredentials(body: .object(body), recoveryCode: code, firstFactorId: firstFactorId, recoveryId: recoveryId)
    }

    /// A Key credential's id is fresh, so it cannot collide; but a challenge that excludes a Key
    /// credential this keystore holds for the app says the user already has it here, as
    /// excludeCredentials does for WebAuthn (L3 §6.3.2 step 3), and the registration is refused.
    private func refuseExcludedKey(_ challenge: DfnsRegistrationChallenge) throws {
        for excluded in challenge.excludeCredentials {
            if let record = try staged.credential(id: excluded.id, rpId: origin.serialized), record.kind == .key {
                throw DfnsError.refused("the challenge excludes credential \(excluded.idText), a Key credential this keystore "
                                        + "already holds for \(origin.serialized)")
            }
        }
    }

    /// `PublicKeyCredentialCreationOptionsJSON` from the challenge, as the SDK's WebAuthn signer
    /// builds it (contract: "Fido2 credential"): the challenge and user id as UTF-8 bytes, rp,
    /// pubKeyCredParams, authenticatorSelection, attestation and excludeCredentials as given.
    func fido2Options(_ challenge: DfnsRegistrationChallenge) -> JSONValue {
        var rp: [(String, JSONValue)] = []
        if let given = challenge.rp {
            rp = [("id", .string(given.id)), ("name", .string(given.name))]
        } else {
            rp = [("name", .string(origin.host.serialized))]
        }
        var options: [(String, JSONValue)] = [
            ("rp", .object(rp)),
            ("user", [
                "id": .string(Base64.urlEncode(Array(challenge.user.id.utf8))), "name": .string(challenge.user.name),
                "displayName": .string(challenge.user.displayName),
            ]),
            ("challenge", .string(Base64.urlEncode(Array(challenge.challenge.utf8)))),
            ("pubKeyCredParams", challenge.pubKeyCredParams ?? [["type": "public-key", "alg": -7], ["type": "public-key", "alg": -257]]),
        ]
        if let selection = challenge.authenticatorSelection { options.append(("authenticatorSelection", selection)) }
        if let attestation = challenge.attestation { options.append(("attestation", .string(attestation))) }
        options.append(("excludeCredentials", .array(challenge.excludeCredentials.map { excluded in
            var descriptor: [(String, JSONValue)] = [("type", .string(excluded.type)), ("id", .string(excluded.idText))]
            if let transports = excluded.transports { descriptor.append(("transports", .array(transports.map(JSONValue.string)))) }
            return .object(descriptor)
        })))
        return .object(options)
    }
}
