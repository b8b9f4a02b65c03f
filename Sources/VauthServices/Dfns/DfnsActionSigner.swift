import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// Signs a user action or login challenge (contract, docs/services/dfns.md: "Signing a user
/// action or login") with what this keystore and the user hold: a first factor and, when the
/// challenge asks for one or the caller names it, a second factor.
///
/// Left to choose, the first factor is the first of: a Key credential the challenge allows, a
/// PasswordProtectedKey it allows (stored here, else opened from the challenge's
/// `encryptedPrivateKey` with the password and username, in memory only), a Fido2 credential it
/// allows, the password. The second factor, when the challenge's `supportedCredentialKinds` says
/// the first one requires it, is the first of: the TOTP code of the user's stored secret, another
/// Key, PasswordProtectedKey or Fido2 credential. Only kinds the challenge supports in that factor
/// are considered.
public struct DfnsActionSigner {
    public let origin: Origin
    /// The RP ID of Fido2 assertions; `nil` is the one the chosen credential was registered with.
    public let rpId: String?
    /// The WebAuthn client of Fido2 assertions; nil without a keystore (a Password, or a
    /// PasswordProtectedKey opened from the challenge, needs none).
    public let client: WebAuthnClient?
    /// Finds a stored credential by id alone, whatever its RP (the keystore's index answers this
    /// without decrypting other records).
    public let lookup: ([UInt8]) throws -> CredentialRecord?
    /// Every stored record, for what has no id in the challenge (TOTP secrets, kept passwords).
    public let records: () throws -> [CredentialRecord]

    public init(origin: Origin, rpId: String?, client: WebAuthnClient?, lookup: @escaping ([UInt8]) throws -> CredentialRecord?,
                records: @escaping () throws -> [CredentialRecord] = { [] }) {
        self.origin = origin
        self.rpId = rpId
        self.client = client
        self.lookup = lookup
        self.records = records
    }

    /// What the caller chose or holds.
    public struct Factors: Sendable {
        /// `nil`: chosen as described above.
        public var first: DfnsFactorKind?
        /// `nil`: only when the challenge requires one.
        public var second: DfnsFactorKind?
        /// From a file or the environment; else a password kept in the keystore is used.
        public var password: DfnsPassword?
        /// Whose TOTP secret or kept password, and the salt of a PasswordProtectedKey.
        public var username: String?
        /// Unix seconds, for TOTP codes.
        public var now: Int64

        public init(first: DfnsFactorKind? = nil, second: DfnsFactorKind? = nil, password: DfnsPassword? = nil,
                    username: String? = nil, now: Int64 = Authenticator.systemClock() / 1000) {
            self.first = first
            self.second = second
            self.password = password
            self.username = username
            self.now = now
        }
    }

    public struct Signed: Sendable {
        /// `{challengeIdentifier, firstFactor, secondFactor?}`, the body of `/auth/action` and `/auth/login`.
        public let body: JSONValue
        /// A Password factor is in it, in clear: vauth sends it and never prints it.
        public let carriesPassword: Bool
    }

    public func sign(_ challenge: DfnsActionChallenge) throws -> JSONValue {
        try sign(challenge, factors: Factors()).body
    }

    public func sign(_ challenge: DfnsActionChallenge, factors: Factors) throws -> Signed {
        var context = Context(signer: self, challenge: challenge, factors: factors)
        let firstKinds: [DfnsFactorKind] = factors.first.map { [$0] } ?? [.key, .passwordProtectedKey, .fido2, .password]
        if let first = factors.first {
            try first.check(asSecondFactor: false)
            guard challenge.supports(first.credentialKind, asSecondFactor: false) else {
                throw DfnsError.refused("the challenge does not take \(first.credentialKind.rawValue) as a first factor "
                                        + "(supportedCredentialKinds: \(challenge.supportedDescription))")
            }
        }
        var chosen: (kind: DfnsFactorKind, factor: JSONValue)?
        for kind in firstKinds where challenge.supports(kind.credentialKind, asSecondFactor: false) {
            if let factor = try context.factor(kind) { chosen = (kind, factor); break }
        }
        guard let (firstKind, firstFactor) = chosen else {
            if let first = factors.first { throw try context.unavailable(first) }
            throw DfnsError.refused("none of the credentials the challenge allows (\(challenge.keyCredentials.count) key, "
                                    + "\(challenge.webauthnCredentials.count) webauthn) is in this keystore")
        }
        var members: [(String, JSONValue)] = [("challengeIdentifier", .string(challenge.challengeIdentifier)), ("firstFactor", firstFactor)]
        var carriesPassword = firstKind == .password
        if factors.second != nil || challenge.requiresSecondFactor(after: firstKind.credentialKind) {
            let secondKinds: [DfnsFactorKind] = factors.second.map { [$0] } ?? [.totp, .key, .passwordProtectedKey, .fido2]
            if let second = factors.second {
                try second.check(asSecondFactor: true)
                if challenge.supportedKinds != nil, !challenge.supports(second.credentialKind, asSecondFactor: true) {
                    throw DfnsError.refused("the challenge does not take \(second.credentialKind.rawValue) as a second factor "
                                            + "(supportedCredentialKinds: \(challenge.supportedDescription))")
                }
            }
            var secondFactor: JSONValue?
            for kind in secondKinds where factors.second != nil || challenge.supports(kind.credentialKind, asSecondFactor: true) {
                if let factor = try context.factor(kind) { secondFactor = factor; break }
            }
            guard let secondFactor else {
                if let second = factors.second { throw try context.unavailable(second) }
                throw DfnsError.refused("the challenge requires a second factor after \(firstKind.credentialKind.rawValue) "
                                        + "(supportedCredentialKinds: \(challenge.supportedDescription)), and none is at hand: "
                                        + "no TOTP secret, no other credential it allows")
            }
            carriesPassword = carriesPassword || factors.second == .password
            members.append(("secondFactor", secondFactor))
        }
        return Signed(body: .object(members), carriesPassword: carriesPassword)
    }

    /// One signing: the credentials already used (a second factor must be another one).
    private struct Context {
        let signer: DfnsActionSigner
        let challenge: DfnsActionChallenge
        let factors: Factors
        var used: Set<[UInt8]> = []
        var cachedRecords: [CredentialRecord]?

        init(signer: DfnsActionSigner, challenge: DfnsActionChallenge, factors: Factors) {
            self.signer = signer
            self.challenge = challenge
            self.factors = factors
        }

        mutating func allRecords() throws -> [CredentialRecord] {
            if let cachedRecords { return cachedRecords }
            let records = try signer.records()
            cachedRecords = records
            return records
        }

        mutating func password() throws -> DfnsPassword? {
            if let password = factors.password { return password }
            return try DfnsPassword.kept(in: try allRecords(), origin: signer.origin, username: factors.username)
        }

        /// The factor member for `kind`, or nil when this keystore and the user have nothing for it.
        mutating func factor(_ kind: DfnsFactorKind) throws -> JSONValue? {
            switch kind {
            case .key:
                return try storedKey(.key, among: challenge.keyCredentials)
            case .passwordProtectedKey:
                if let stored = try storedKey(.passwordProtectedKey, among: challenge.passwordProtectedKeys + challenge.keyCredentials) {
                    return stored
                }
                return try openedKey()
            case .fido2:
                return try fido2()
            case .password:
                guard let password = try password() else { return nil }
                return ["kind": .string(DfnsCredentialKind.password.rawValue), "password": .string(password.text)]
            case .totp:
                let records = try allRecords()
                guard records.contains(where: { $0.kind == .totp && $0.rpId == signer.origin.serialized }) else { return nil }
                let record = try DfnsTotpCredential.find(in: records, origin: signer.origin, username: factors.username)
                let generator = try DfnsTotpCredential.generator(record)
                return ["kind": .string(DfnsCredentialKind.totp.rawValue), "otpCode": .string(generator.code(at: factors.now))]
            }
        }

        /// Why an explicitly named kind cannot be used.
        mutating func unavailable(_ kind: DfnsFactorKind) throws -> DfnsError {
            switch kind {
            case .password:
                return .malformed("a Password factor needs the password: --password-file FILE or $VAUTH_DFNS_PASSWORD")
            case .passwordProtectedKey where !challenge.passwordProtectedKeys.isEmpty:
                return .malformed("the challenge's PasswordProtectedKey is not in this keystore; opening its encryptedPrivateKey needs "
                                  + "the password (--password-file or $VAUTH_DFNS_PASSWORD) and --username")
            case .totp:
                _ = try DfnsTotpCredential.find(in: try allRecords(), origin: signer.origin, username: factors.username)
                return .refused("no TOTP secret for this challenge")
            default:
                return .refused("none of the challenge's \(kind.credentialKind.rawValue) credentials is in this keystore")
            }
        }

        /// A stored key pair of `kind` among `allowed`: its `key.get` assertion.
        mutating func storedKey(_ kind: CredentialKind, among allowed: [DfnsActionChallenge.AllowedCredential]) throws -> JSONValue? {
            for candidate in allowed where !used.contains(candidate.id) {
                // A RecoveryKey signs recoveries only, and a WebAuthn credential only WebAuthn assertions.
                guard let record = try signer.lookup(candidate.id), record.kind == kind else { continue }
                used.insert(record.id)
                let assertion = try DfnsKeyCredential.assertion(credId: record.id, key: try record.signingKey(),
                                                                challenge: challenge.challenge, origin: signer.origin)
                return ["kind": .string((kind == .key ? DfnsCredentialKind.key : .passwordProtectedKey).rawValue), "credentialAssertion": assertion]
            }
            return nil
        }

        /// A PasswordProtectedKey this keystore does not hold (a fresh machine): opened from the
        /// challenge's `encryptedPrivateKey` with the password and username, used once, never stored.
        mutating func openedKey() throws -> JSONValue? {
            guard let candidate = challenge.passwordProtectedKeys.first(where: { !used.contains($0.id) }),
                  let encrypted = candidate.encryptedPrivateKey, let username = factors.username,
                  let password = try password() else { return nil }
            let key = try DfnsKeyEncryption.decrypt(encrypted, under: .password(password), username: username)
            used.insert(candidate.id)
            let assertion = try DfnsKeyCredential.assertion(credId: candidate.id, key: key, challenge: challenge.challenge,
                                                            origin: signer.origin)
            return ["kind": .string(DfnsCredentialKind.passwordProtectedKey.rawValue), "credentialAssertion": assertion]
        }

        /// A WebAuthn assertion with one of the challenge's webauthn credentials this keystore holds.
        mutating func fido2() throws -> JSONValue? {
            guard let client = signer.client else { return nil }
            var usable: [DfnsActionChallenge.AllowedCredential] = []
            var rpId = signer.rpId
            for allowed in challenge.webauthnCredentials where !used.contains(allowed.id) {
                guard let record = try signer.lookup(allowed.id), record.kind == .webAuthn, rpId == nil || record.rpId == rpId else { continue }
                rpId = record.rpId
                usable.append(allowed)
            }
            guard let rpId, !usable.isEmpty else { return nil }
            var options: [(String, JSONValue)] = [
                ("challenge", .string(Base64.urlEncode(Array(challenge.challenge.utf8)))), ("rpId", .string(rpId)),
                ("allowCredentials", .array(usable.map { ["type": "public-key", "id": .string($0.idText)] })),
            ]
            if let uv = challenge.userVerification { options.append(("userVerification", .string(uv))) }
            let response = try client.get(try PublicKeyCredentialRequestOptions(json: .object(options)), origin: signer.origin)
            if let id = Base64.urlDecode(response.id) { used.insert(id) }
            var assertion: [(String, JSONValue)] = [
                ("credId", .string(response.id)), ("clientData", .string(Base64.urlEncode(response.clientDataJSON))),
                ("authenticatorData", .string(Base64.urlEncode(response.authenticatorData))),
                ("signature", .string(Base64.urlEncode(response.signature))),
            ]
            if let handle = response.userHandle { assertion.append(("userHandle", .string(Base64.urlEncode(handle)))) }
            return ["kind": .string(DfnsCredentialKind.fido2.rawValue), "credentialAssertion": .object(assertion)]
        }
    }
}
