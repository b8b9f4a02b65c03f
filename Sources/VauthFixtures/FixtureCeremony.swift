import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthWebAuthn

/// vauth's real authenticator and WebAuthn client, wired for reproducible output: every random
/// byte (credential ids, keys, hmac-secret keys) comes from the vector's ``HMACDRBG``, ES256
/// signatures use RFC 6979 nonces, and the clock is a fixed instant.
final class FixtureCeremony {
    /// 2026-01-01T00:00:00Z in milliseconds: credential creation times never reach the output,
    /// but nothing reads the real clock either.
    static let fixedClock: Int64 = 1_767_225_600_000

    static let chromiumExtraMember = (name: "other_keys_can_be_added_here",
                                      value: "do not compare clientDataJSON against a template. See https://goo.gl/yabPex")

    let authenticator: Authenticator
    let client: WebAuthnClient
    let store = InMemoryCredentialStore()

    init(identity: AuthenticatorIdentity, fixture: FixtureCase, random: HMACDRBG, topOrigin: Origin?) {
        var policy = AuthenticatorPolicy()
        policy.attestation = fixture.attestation.kind
        // An authenticator with built-in UV makes a discoverable credential only with UV (CTAP 2.2
        // §6.1.2, CTAP2_ERR_PUAT_REQUIRED): a fixture without UV is made by one without it.
        policy.userVerification = fixture.userVerification ? .supported : .unsupported
        policy.signCounter = fixture.counter
        policy.backupEligible = fixture.backupEligible
        policy.backedUp = fixture.backedUp
        authenticator = Authenticator(identity: identity, policy: policy, store: store, clock: { FixtureCeremony.fixedClock })
        authenticator.randomBytes = { count in random.bytes(count) }
        let keyRandom = random.child("credential-keys")
        authenticator.keyGenerator = { algorithm in try SigningKey.derive(algorithm, from: keyRandom) }
        authenticator.signer = { key, message in try key.signDeterministically(message) }

        var configuration = ClientConfiguration(attachment: nil, crossOrigin: fixture.crossOrigin,
                                                topOrigin: fixture.crossOrigin ? topOrigin : nil)
        if fixture.chromiumExtraMember { configuration.additionalClientDataMembers = [Self.chromiumExtraMember] }
        // rpId always equals the origin's host, so the Public Suffix List is never consulted.
        client = WebAuthnClient(authenticator: authenticator, configuration: configuration, publicSuffixList: try! PublicSuffixList(text: "com\nnet\norg\n"))  // a constant list: parsing cannot fail
    }

    func create(options: JSONValue, origin: String) throws -> RegistrationResponseJSON {
        try client.create(optionsJSON: options.serialized(.compact), origin: origin)
    }

    func get(options: JSONValue, origin: String) throws -> AuthenticationResponseJSON {
        try client.get(optionsJSON: options.serialized(.compact), origin: origin)
    }

    /// The private key of the credential with `id`, to re-sign a tampered response.
    func credentialKey(id: [UInt8]) throws -> SigningKey {
        guard let record = store.allCredentials().first(where: { $0.id == id }) else { throw FixtureError("no credential \(Base64.urlEncode(id))") }
        return try record.signingKey()
    }

    func signCount(id: [UInt8]) -> UInt32 {
        store.allCredentials().first { $0.id == id }?.signCount ?? 0
    }
}

/// A generator failure: the fixture set could not be made as specified.
public struct FixtureError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
