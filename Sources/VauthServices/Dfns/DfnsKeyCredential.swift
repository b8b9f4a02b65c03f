import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// A Dfns Key credential (or the key of a RecoveryKey credential): a key pair the client makes and
/// registers by signing a fingerprint of its public key and the challenge (contract: "Key
/// credential"; the seed's "How to Sign the Challenge with the Private Key").
public struct DfnsKeyCredential: Sendable {
    public let credId: [UInt8]
    public let key: SigningKey
    /// `{credId, clientData, attestationData}` for a registration body.
    public let credentialInfo: JSONValue

    /// Makes a key pair and signs `challenge` for `origin` with it. `credId` is 32 random bytes, the
    /// SDK's choice.
    public static func make(challenge: String, origin: Origin, algorithm: COSEAlgorithm) throws -> DfnsKeyCredential {
        let key = try SigningKey.generate(algorithm)
        let credId = try SecureRandom.bytes(32)
        let clientData = DfnsClientData(.create, challenge: challenge, origin: origin)
        let pem = try key.publicKey.pem()
        // The fingerprint binds the public key to this challenge, so the key cannot be swapped on
        // the way to the service.
        let fingerprint: JSONValue = ["clientDataHash": .string(SHA256.hex(clientData.bytes)), "publicKey": .string(pem)]
        let signature = try key.sign(Array(fingerprint.serialized(.compact).utf8))
        let attestation: JSONValue = ["publicKey": .string(pem), "signature": .string(Hex.encode(signature))]
        let info: JSONValue = [
            "credId": .string(Base64.urlEncode(credId)), "clientData": .string(clientData.encoded),
            "attestationData": .string(Base64.urlEncode(Array(attestation.serialized(.compact).utf8))),
        ]
        return DfnsKeyCredential(credId: credId, key: key, credentialInfo: info)
    }

    /// The keystore record: kept under the app origin as its `rp.id` (never a WebAuthn RP ID), with
    /// the Dfns user it was registered for.
    public func record(kind: CredentialKind, user: DfnsRegistrationChallenge.User, origin: Origin, now: Int64) throws -> CredentialRecord {
        CredentialRecord(id: credId, rp: DfnsKeyCredential.relyingParty(origin),
                         user: UserEntity(id: Array(user.id.utf8), name: user.name, displayName: user.displayName).truncatedForStorage,
                         algorithm: key.algorithm, privateKey: try key.pkcs8DER(), discoverable: false, createdAt: now, kind: kind)
    }

    /// Where Key credentials of an app live in the keystore: `rp.id` is the app's origin.
    public static func relyingParty(_ origin: Origin) -> RelyingPartyEntity {
        RelyingPartyEntity(id: origin.serialized, name: "Dfns")
    }

    /// `{credId, clientData, signature}` of a `key.get` assertion over `challenge`: the signature is
    /// over the client data bytes themselves (contract: "Signing a user action or login").
    public static func assertion(credId: [UInt8], key: SigningKey, challenge: String, origin: Origin) throws -> JSONValue {
        let clientData = DfnsClientData(.get, challenge: challenge, origin: origin)
        return [
            "credId": .string(Base64.urlEncode(credId)), "clientData": .string(clientData.encoded),
            "signature": .string(Base64.urlEncode(try key.sign(clientData.bytes))),
        ]
    }
}
