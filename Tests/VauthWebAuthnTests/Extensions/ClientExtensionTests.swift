import Testing
import VauthAuthenticator
import VauthWebAuthn

/// The client's extension seam: inputs read by the registered extensions, results written in
/// their order, and what no extension asks for left out.
struct ClientExtensionTests {
    @Test func resultsFollowTheRegisteredOrder() throws {
        let created = try makeClient().create(creationOptions(extensions: ["prf": [:], "credProps": true]), origin: exampleOrigin)
        guard case .object(let members) = created.clientExtensionResults.json else {
            Issue.record("clientExtensionResults is not an object")
            return
        }
        #expect(members.map(\.0) == ["credProps", "prf"])
        #expect(created.clientExtensionResults.credProps == CredentialPropertiesOutput(rk: false))
    }

    @Test func inputsThatAskForNothingAreAbsent() throws {
        let parsed = try PublicKeyCredentialCreationOptions(json: """
        {"rp": {"name": "X"}, "user": {"id": "AQ", "name": "a", "displayName": "A"}, "challenge": "AAAA",
         "pubKeyCredParams": [], "extensions": {"credProps": false, "enforceCredentialProtectionPolicy": false,
                                                "credentialProtectionPolicy": "notAPolicy", "devicePubKey": {"attestation": "none"}}}
        """)
        #expect(parsed.extensions == RegistrationExtensionInputs())
        var enforced = RegistrationExtensionInputs()
        enforced.enforceCredentialProtectionPolicy = true
        #expect(enforced != RegistrationExtensionInputs())
        enforced.enforceCredentialProtectionPolicy = false
        #expect(enforced == RegistrationExtensionInputs())
    }

    @Test func extensionsMustBeAnObject() throws {
        let error = clientError {
            _ = try PublicKeyCredentialRequestOptions(json: #"{"challenge": "AAAA", "extensions": []}"#)
        }
        #expect(error?.message == "extensions must be an object, not an array")
    }
}
