import Testing

// The README's library example, verbatim (between the markers), so the README stays true.
// README-EXAMPLE-BEGIN
import VauthAuthenticator
import VauthWebAuthn

func readmeExample() throws -> (registration: String, assertion: String) {
    // An authenticator with a fresh attestation identity and credentials in memory.
    let identity = try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)
    let authenticator = Authenticator(identity: identity, store: InMemoryCredentialStore())
    let browser = WebAuthnClient(authenticator: authenticator)

    // What the RP's server sent, as WebAuthn L3 JSON.
    let registration = try browser.create(optionsJSON: """
        {"rp": {"id": "example.com", "name": "Example"},
         "user": {"id": "dXNlci0xMjM", "name": "alice", "displayName": "Alice"},
         "challenge": "q83vEjRWeJCrze8SNFZ4kA",
         "pubKeyCredParams": [{"type": "public-key", "alg": -7}],
         "authenticatorSelection": {"residentKey": "required"}}
        """, origin: "https://example.com")

    let assertion = try browser.get(optionsJSON: """
        {"challenge": "ASNFZ4mrze8BI0VniavN7w", "rpId": "example.com"}
        """, origin: "https://example.com")

    // RegistrationResponseJSON / AuthenticationResponseJSON, as a browser's toJSON() gives them.
    return (registration.serialized(.pretty), assertion.serialized(.compact))
}
// README-EXAMPLE-END

struct ReadmeExampleTests {
    @Test func theReadmeExampleRuns() throws {
        let (registration, assertion) = try readmeExample()
        let created = try JSONParser.parse(registration), asserted = try JSONParser.parse(assertion)
        #expect(created["id"] == asserted["id"])
        #expect(asserted["response"]?["userHandle"] == "dXNlci0xMjM")
    }
}
