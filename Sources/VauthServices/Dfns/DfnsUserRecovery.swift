import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// Recovers a Dfns user (contract: "Recovering a user"; the seed's "Signing Example: First factor
/// and Recovery credentials") on a machine that need never have seen the old credentials: new
/// credentials as for a registration, signed with the old recovery key, which is decrypted from
/// the challenge with the recovery code and lives only in memory.
public struct DfnsUserRecovery {
    public let maker: DfnsCredentialMaker

    public init(maker: DfnsCredentialMaker) {
        self.maker = maker
    }

    public struct Result: Sendable {
        /// `{recovery, newCredentials}`, the body of `POST /auth/recover/user`.
        public let body: JSONValue
        public let newCredentials: DfnsNewCredentials
    }

    /// `username` defaults to the challenge's `user.name`.
    public func recover(_ challenge: DfnsRegistrationChallenge, code: DfnsRecoveryCode, username: String?,
                        firstFactor: DfnsFactorKind, secondFactor: DfnsFactorKind? = nil, newRecovery: Bool,
                        password: DfnsPassword? = nil, keepPassword: Bool = false) throws -> Result {
        guard !challenge.allowedRecoveryCredentials.isEmpty else {
            throw DfnsError.malformed("challenge.allowedRecoveryCredentials is missing or empty: not a recover-user challenge")
        }
        let username = username ?? challenge.user.name
        // The old key first: a wrong code or username is reported before any new key is made.
        var opened: (credential: DfnsRegistrationChallenge.RecoveryCredential, key: SigningKey)?
        var lastError: DfnsError?
        for credential in challenge.allowedRecoveryCredentials {
            do {
                opened = (credential, try DfnsKeyEncryption.decrypt(credential.encryptedRecoveryKey, under: .recoveryCode(code), username: username))
                break
            } catch {
                lastError = error
            }
        }
        guard let opened else { throw lastError! }
        let newCredentials = try maker.make(for: challenge, firstFactor: firstFactor, secondFactor: secondFactor, recovery: newRecovery,
                                            username: username, password: password, keepPassword: keepPassword)
        // The signed challenge is the base64url of the newCredentials JSON exactly as sent.
        let signedChallenge = Base64.urlEncode(Array(newCredentials.body.serialized(.compact).utf8))
        let clientData = DfnsClientData(.get, challenge: signedChallenge, origin: maker.origin)
        let signature = try opened.key.sign(clientData.bytes)
        let body: JSONValue = [
            "recovery": [
                "kind": .string(DfnsCredentialKind.recoveryKey.rawValue),
                "credentialAssertion": [
                    "credId": .string(opened.credential.id), "clientData": .string(clientData.encoded),
                    "signature": .string(Base64.urlEncode(signature)),
                ],
            ],
            "newCredentials": newCredentials.body,
        ]
        return Result(body: body, newCredentials: newCredentials)
    }
}
