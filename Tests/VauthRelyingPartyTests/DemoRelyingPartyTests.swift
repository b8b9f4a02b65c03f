import Testing
import VauthAuthenticator
import VauthCrypto
import VauthRelyingParty
import VauthWebAuthn

/// The demo's relying party must reject what a server rejects, or the demo proves nothing.
struct DemoRelyingPartyTests {
    static let identity: AuthenticatorIdentity = try! AuthenticatorIdentity.generate(now: 1_750_000_000)
    let origin = "https://demo.vauth.example"

    private func setUp(root: X509Certificate = identity.rootCertificate) throws -> (DemoRelyingParty, WebAuthnClient) {
        let party = DemoRelyingParty(rpId: "demo.vauth.example", origin: origin, trustedRoot: root)
        let client = WebAuthnClient(authenticator: Authenticator(identity: Self.identity, store: InMemoryCredentialStore()))
        return (party, client)
    }

    private func register(_ party: DemoRelyingParty, _ client: WebAuthnClient) throws -> JSONValue {
        let options = try party.registrationOptions(userName: "ada", displayName: "Ada")
        return try client.create(PublicKeyCredentialCreationOptions(json: options), origin: Origin(origin)).json
    }

    @Test func acceptsARealCeremonyAndCountsUp() throws {
        let (party, client) = try setUp()
        let registration = try party.verifyRegistration(try register(party, client))
        #expect(registration.attestationFormat == "packed" && registration.attestationTrust == "x5c chain to the trusted root")
        for expected in [1, 2] as [UInt32] {
            let request = try party.authenticationOptions(userName: expected == 1 ? "ada" : nil)
            let assertion = try client.get(PublicKeyCredentialRequestOptions(json: request), origin: Origin(origin))
            #expect(try party.verifyAuthentication(assertion.json).signCount == expected)
        }
    }

    @Test func rejectsAnotherRootTamperingAndReplay() throws {
        let other = try AuthenticatorIdentity.generate(now: 1_750_000_000)
        let (strict, client) = try setUp(root: other.rootCertificate)
        #expect(throws: DemoRelyingParty.Failure.self) { try strict.verifyRegistration(try register(strict, client)) }

        let (party, client2) = try setUp()
        _ = try party.verifyRegistration(try register(party, client2))
        let request = try party.authenticationOptions(userName: "ada")
        let assertion = try client2.get(PublicKeyCredentialRequestOptions(json: request), origin: Origin(origin))
        var signature = assertion.signature
        signature[signature.count - 1] ^= 1
        var tampered = assertion
        tampered.signature = signature
        #expect(throws: DemoRelyingParty.Failure.self) { try party.verifyAuthentication(tampered.json) }
        // The challenge is used once: the untampered response cannot be replayed afterwards either.
        #expect(throws: DemoRelyingParty.Failure.self) { try party.verifyAuthentication(assertion.json) }
    }
}
