import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// Signs a user action or login challenge (contract: "Signing a user action or login") with a
/// credential of this keystore that the challenge's `allowCredentials` names: a Key credential
/// (`key.get` client data) first, else a Fido2 credential (a WebAuthn assertion).
public struct DfnsActionSigner {
    public let origin: Origin
    /// The RP ID of Fido2 credentials; `nil` is the origin's host, as the SDK's WebAuthn signer uses.
    public let rpId: String?
    public let client: WebAuthnClient
    public let staged: StagedCredentialStore

    public init(origin: Origin, rpId: String?, client: WebAuthnClient, staged: StagedCredentialStore) {
        self.origin = origin
        self.rpId = rpId
        self.client = client
        self.staged = staged
    }

    /// `{challengeIdentifier, firstFactor: {kind, credentialAssertion}}`, the body of `/auth/action`
    /// and `/auth/login`.
    public func sign(_ challenge: DfnsActionChallenge) throws -> JSONValue {
        for allowed in challenge.keyCredentials {
            guard let record = try staged.credential(id: allowed.id, rpId: origin.serialized), record.kind == .key else { continue }
            let assertion = try DfnsKeyCredential.assertion(credId: record.id, key: try record.signingKey(),
                                                            challenge: challenge.challenge, origin: origin)
            return body(challenge, kind: .key, assertion: assertion)
        }
        let rpId = try RPIDValidator().rpId(self.rpId, for: origin)
        var usable: [DfnsActionChallenge.AllowedCredential] = []
        for allowed in challenge.webauthnCredentials {
            if let record = try staged.credential(id: allowed.id, rpId: rpId), record.kind == .webAuthn { usable.append(allowed) }
        }
        guard !usable.isEmpty else {
            throw DfnsError.refused("none of the challenge's allowCredentials (\(challenge.keyCredentials.count) key, "
                                    + "\(challenge.webauthnCredentials.count) webauthn) is in this keystore for \(origin.serialized)")
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
