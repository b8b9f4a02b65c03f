import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// Signs a user action or login challenge (contract: "Signing a user action or login") with a
/// credential of this keystore that the challenge's `allowCredentials` names: a Key credential
/// (`key.get` client data) first, else a Fido2 credential (a WebAuthn assertion).
public struct DfnsActionSigner {
    public let origin: Origin
    /// The RP ID of Fido2 assertions; `nil` is the one the chosen credential was registered with.
    public let rpId: String?
    public let client: WebAuthnClient
    /// Finds a stored credential by id alone, whatever its RP (the keystore's index answers this
    /// without decrypting other records).
    public let lookup: ([UInt8]) throws -> CredentialRecord?

    public init(origin: Origin, rpId: String?, client: WebAuthnClient, lookup: @escaping ([UInt8]) throws -> CredentialRecord?) {
        self.origin = origin
        self.rpId = rpId
        self.client = client
        self.lookup = lookup
    }

    /// `{challengeIdentifier, firstFactor: {kind, credentialAssertion}}`, the body of `/auth/action`
    /// and `/auth/login`.
    public func sign(_ challenge: DfnsActionChallenge) throws -> JSONValue {
        for allowed in challenge.keyCredentials {
            // A RecoveryKey signs recoveries only, and a WebAuthn credential only WebAuthn assertions.
            guard let record = try lookup(allowed.id), record.kind == .key else { continue }
            let assertion = try DfnsKeyCredential.assertion(credId: record.id, key: try record.signingKey(),
                                                            challenge: challenge.challenge, origin: origin)
            return body(challenge, kind: .key, assertion: assertion)
        }
        var usable: [DfnsActionChallenge.AllowedCredential] = []
        var rpId = self.rpId
        for allowed in challenge.webauthnCredentials {
            guard let record = try lookup(allowed.id), record.kind == .webAuthn, rpId == nil || record.rpId == rpId else { continue }
            rpId = record.rpId
            usable.append(allowed)
        }
        guard let rpId, !usable.isEmpty else {
            throw DfnsError.refused("none of the credentials the challenge allows (\(challenge.keyCredentials.count) key, "
                                    + "\(challenge.webauthnCredentials.count) webauthn) is in this keystore")
        }
        var options: [(String, JSONValue)] = [
            ("challenge", .string(Base64.urlEncode(Array(challenge.challenge.utf8)))), ("rpId", .string(rpId)),
            ("allowCredentials", .array(usable.map { ["type": "public-key", "id": .string($0.idText)] })),
        ]
        if let uv = challenge.userVerification { options.append(("userVerification", .string(uv))) }
        let response = try client.get(try PublicKeyCredentialRequestOptions(json: .object(options)), origin: origin)
        var assertion: [(String, JSONValue)] = [
            ("credId", .string(response.id)), ("clientData", .string(Base64.urlEncode(response.clientDataJSON))),
            ("authenticatorData", .string(Base64.urlEncode(response.authenticatorData))),
            ("signature", .string(Base64.urlEncode(response.signature))),
        ]
        if let handle = response.userHandle { assertion.append(("userHandle", .string(Base64.urlEncode(handle)))) }
        return body(challenge, kind: .fido2, assertion: .object(assertion))
    }

    private func body(_ challenge: DfnsActionChallenge, kind: DfnsCredentialKind, assertion: JSONValue) -> JSONValue {
        [
            "challengeIdentifier": .string(challenge.challengeIdentifier),
            "firstFactor": ["kind": .string(kind.rawValue), "credentialAssertion": assertion],
        ]
    }
}
