import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// The credentials of a registration or a user recovery (contract, docs/services/dfns.md:
/// "Registration body" and "Recovering a user"): a first factor, an optional second factor and an
/// optional RecoveryKey. Each credential vauth keeps (key pairs, a TOTP secret, a password when
/// asked) is saved to the ceremony's ``StagedCredentialStore``; the caller commits it once the
/// command, and the service when online, succeeded.
public struct DfnsNewCredentials: Sendable {
    /// `{firstFactorCredential, secondFactorCredential?, recoveryCredential?}`: the registration
    /// body, and the `newCredentials` of a recovery.
    public let body: JSONValue
    /// The new recovery code, to be shown to the user once; `nil` without a RecoveryKey.
    public let recoveryCode: DfnsRecoveryCode?
    /// base64url id of the first-factor credential (empty for a Password, which has none).
    public let firstFactorId: String
    /// base64url id of the new RecoveryKey credential.
    public let recoveryId: String?
    /// The body holds the password in clear (a Password credential): vauth sends it to the
    /// service and never prints it.
    public let carriesPassword: Bool
}

/// Makes ``DfnsNewCredentials`` from a registration (or recover-user) challenge.
public struct DfnsCredentialMaker {
    public typealias FirstFactor = DfnsFactorKind

    public let origin: Origin
    public let client: WebAuthnClient
    public let staged: StagedCredentialStore
    /// The algorithm of Key credentials (RecoveryKey and PasswordProtectedKey are always P-256,
    /// as the SDK's recovery worker makes and opens them).
    public let keyAlgorithm: COSEAlgorithm
    /// Milliseconds since the Unix epoch, for the records' creation time and TOTP codes.
    public let now: Int64

    public init(origin: Origin, client: WebAuthnClient, staged: StagedCredentialStore, keyAlgorithm: COSEAlgorithm, now: Int64) {
        self.origin = origin
        self.client = client
        self.staged = staged
        self.keyAlgorithm = keyAlgorithm
        self.now = now
    }

    /// `username` (the salt of a RecoveryKey and a PasswordProtectedKey) defaults to the
    /// challenge's `user.name`. `password` is needed by Password and PasswordProtectedKey
    /// credentials; `keepPassword` also saves it in the keystore.
    public func make(for challenge: DfnsRegistrationChallenge, firstFactor: DfnsFactorKind, secondFactor: DfnsFactorKind? = nil,
                     recovery: Bool, credentialName: String? = nil, username: String? = nil, password: DfnsPassword? = nil,
                     keepPassword: Bool = false) throws -> DfnsNewCredentials {
        try firstFactor.check(asSecondFactor: false)
        try challenge.requireFirstFactor(firstFactor.credentialKind)
        if let secondFactor {
            try secondFactor.check(asSecondFactor: true)
            try challenge.requireSecondFactor(secondFactor.credentialKind)
            guard secondFactor != firstFactor || secondFactor == .key || secondFactor == .fido2 else {
                throw DfnsError.malformed("the second factor must be another credential than the first: \(secondFactor.rawValue) twice")
            }
        }
        let salt = username ?? challenge.user.name
        try Self.requirePassword(password, firstFactor: firstFactor, secondFactor: secondFactor, keepPassword: keepPassword)
        // Everything the challenge must give is checked before anything is made or staged.
        if secondFactor == .totp { _ = try DfnsTotpCredential.generator(challenge) }
        var (first, firstFactorId) = try credential(firstFactor, for: challenge, password: password, salt: salt)
        if let credentialName { first.append(("credentialName", .string(credentialName))) }
        var body: [(String, JSONValue)] = [("firstFactorCredential", .object(first))]
        if let secondFactor {
            body.append(("secondFactorCredential", .object(try credential(secondFactor, for: challenge, password: password, salt: salt).0)))
        }
        if keepPassword, let password {
            try staged.save(try password.record(user: challenge.user, origin: origin, now: now), replacing: nil)
        }
        var code: DfnsRecoveryCode?
        var recoveryId: String?
        if recovery {
            let newCode = try DfnsRecoveryCode.generate()
            let credential = try DfnsKeyCredential.make(challenge: challenge.challenge, origin: origin, algorithm: .es256)
            let encrypted = try DfnsKeyEncryption.encrypt(pkcs8: try credential.key.pkcs8DER(), under: .recoveryCode(newCode), username: salt)
            try staged.save(try credential.record(kind: .recoveryKey, user: challenge.user, origin: origin, now: now), replacing: nil)
            body.append(("recoveryCredential", [
                "credentialKind": .string(DfnsCredentialKind.recoveryKey.rawValue), "credentialInfo": credential.credentialInfo,
                "encryptedPrivateKey": .string(encrypted),
            ]))
            code = newCode
            recoveryId = Base64.urlEncode(credential.credId)
        }
        return DfnsNewCredentials(body: .object(body), recoveryCode: code, firstFactorId: firstFactorId, recoveryId: recoveryId,
                                  carriesPassword: firstFactor == .password)
    }

    /// Refuses to go on without a password when a factor (or `keepPassword`) needs one; callers
    /// check this before any call to the service, so no challenge is spent on it.
    public static func requirePassword(_ password: DfnsPassword?, firstFactor: DfnsFactorKind, secondFactor: DfnsFactorKind?,
                                       keepPassword: Bool) throws(DfnsError) {
        guard password == nil else { return }
        let needing = [firstFactor, secondFactor].compactMap { $0 }.first(where: \.needsPassword)
        guard needing != nil || keepPassword else { return }
        let what = needing.map { "a \($0.credentialKind.rawValue) credential" } ?? "--keep-password"
        throw .malformed("\(what) needs the password: --password-file FILE or $VAUTH_DFNS_PASSWORD")
    }

    /// One `{credentialKind, credentialInfo, …}` member and the credential's id; what vauth keeps
    /// of it goes to the staged store.
    private func credential(_ kind: DfnsFactorKind, for challenge: DfnsRegistrationChallenge, password: DfnsPassword?,
                            salt: String) throws -> ([(String, JSONValue)], String) {
        let kindName = JSONValue.string(kind.credentialKind.rawValue)
        switch kind {
        case .key, .passwordProtectedKey:
            try refuseExcludedKey(challenge)
            let algorithm = kind == .key ? keyAlgorithm : .es256
            let credential = try DfnsKeyCredential.make(challenge: challenge.challenge, origin: origin, algorithm: algorithm)
            let recordKind: CredentialKind = kind == .key ? .key : .passwordProtectedKey
            try staged.save(try credential.record(kind: recordKind, user: challenge.user, origin: origin, now: now), replacing: nil)
            var members: [(String, JSONValue)] = [("credentialKind", kindName), ("credentialInfo", credential.credentialInfo)]
            if kind == .passwordProtectedKey, let password {
                let encrypted = try DfnsKeyEncryption.encrypt(pkcs8: try credential.key.pkcs8DER(), under: .password(password), username: salt)
                members.append(("encryptedPrivateKey", .string(encrypted)))
            }
            return (members, Base64.urlEncode(credential.credId))
        case .fido2:
            let response = try client.create(try PublicKeyCredentialCreationOptions(json: fido2Options(challenge)), origin: origin)
            return ([
                ("credentialKind", kindName),
                ("credentialInfo", [
                    "credId": .string(response.id), "clientData": .string(Base64.urlEncode(response.clientDataJSON)),
                    "attestationData": .string(Base64.urlEncode(response.attestationObject)),
                ]),
            ], response.id)
        case .password:
            guard let password else { throw DfnsError.malformed("a Password credential needs the password") }
            return ([("credentialKind", kindName), ("credentialInfo", ["password": .string(password.text)])], "")
        case .totp:
            let generator = try DfnsTotpCredential.generator(challenge)
            let record = try DfnsTotpCredential.record(generator, user: challenge.user, origin: origin, now: now)
            try staged.save(record, replacing: nil)
            return ([("credentialKind", kindName), ("credentialInfo", ["otpCode": .string(generator.code(at: now / 1000))])],
                    Base64.urlEncode(record.id))
        }
    }

    /// A Key credential's id is fresh, so it cannot collide; but a challenge that excludes a Key
    /// credential this keystore holds for the app says the user already has it here, as
    /// excludeCredentials does for WebAuthn (L3 §6.3.2 step 3), and the registration is refused.
    private func refuseExcludedKey(_ challenge: DfnsRegistrationChallenge) throws {
        for excluded in challenge.excludeCredentials {
            if let record = try staged.credential(id: excluded.id, rpId: origin.serialized), record.kind == .key || record.kind == .passwordProtectedKey {
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
