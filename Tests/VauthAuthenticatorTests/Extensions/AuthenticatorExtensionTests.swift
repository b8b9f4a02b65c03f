import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// The extension seam: the wire lists and the parsing come from the registered extensions.
struct AuthenticatorExtensionTests {
    @Test func getInfoListsTheRegisteredExtensions() throws {
        let info = try CBORDecoder().decode(makeAuthenticator().handle([0x04]).dropFirst())
        #expect(info[2] == ["credProtect", "hmac-secret", "hmac-secret-mc"])
        #expect(AuthenticatorExtensions.identifiers == ["credProtect", "hmac-secret", "hmac-secret-mc"])
        #expect(Set(AuthenticatorExtensions.identifiers).count == AuthenticatorExtensions.registered.count, "identifiers are unique")
    }

    /// A request's `extensions` map parses into the registered extensions' inputs and encodes back
    /// the same; a member no extension knows is dropped, as CTAP 2.2 §6.1.2 step 9 says.
    @Test func inputsRoundTripAndUnknownMembersAreIgnored() throws {
        var wire = makeRequest().cborValue.mapValue!
        wire[6] = ["credProtect": 2, "hmac-secret": true, "thirdPartyExtension": .bytes([1, 2])]
        let request = try MakeCredentialRequest(cbor: .map(wire))
        #expect(request.extensions.credProtect == .userVerificationOptionalWithCredentialIDList)
        #expect(request.extensions.hmacSecret)
        #expect(request.extensions.hmacSecretMC == nil)
        #expect(request.cborValue[6] == ["credProtect": 2, "hmac-secret": true])
        // hmac-secret: false asks for nothing.
        wire[6] = ["hmac-secret": false]
        #expect(try MakeCredentialRequest(cbor: .map(wire)).cborValue[6] == nil)
        // hmac-secret-mc is a makeCredential extension only: getAssertion ignores it.
        let get = try GetAssertionRequest(cbor: [1: "example.com", 2: .bytes(exampleHash), 4: ["hmac-secret-mc": true]])
        #expect(get.extensions.hmacSecret == nil)
        #expect(get.cborValue[4] == nil)
    }

    @Test func malformedInputsNameTheirMember() throws {
        var wire = makeRequest().cborValue.mapValue!
        for (extensions, status, message) in [
            (["hmac-secret": "yes"] as CBORValue, CTAPStatus.cborUnexpectedType, "extensions.hmac-secret has the wrong type (text string)"),
            (["credProtect": .bytes([1])], .cborUnexpectedType, "extensions.credProtect has the wrong type (byte string)"),
            (["credProtect": 4], .invalidParameter, "credProtect level 4 is not 1, 2 or 3"),
            (["hmac-secret-mc": ["x": 1]], .missingParameter, "hmac-secret-mc.keyAgreement is missing"),
            ("not a map", .cborUnexpectedType, "extensions is a text string, not a map"),
        ] {
            wire[6] = extensions
            let error = #expect(throws: CTAPError.self) { try MakeCredentialRequest(cbor: .map(wire)) }
            #expect(error?.status == status)
            #expect(error?.message == message)
        }
    }

    /// hmac-secret-mc alone still gives the credential hmac-secret's secrets, with no
    /// `hmac-secret` output of its own.
    @Test func hmacSecretMCAloneMakesTheSecrets() throws {
        let store = InMemoryCredentialStore()
        let auth = makeAuthenticator(store: store)
        let agreement = try auth.clientPIN(ClientPINRequest(pinUvAuthProtocol: 2, subCommand: ClientPINRequest.SubCommand.getKeyAgreement))
        let authenticatorKey = try COSEKey(cbor: try #require(agreement[1]), requireAlgorithm: false)
        let (input, secret) = try HMACSecretInput.make(salts: [[UInt8](repeating: 7, count: 32)], authenticatorKey: authenticatorKey,
                                                       pinUvAuthProtocol: .two)
        var extensions = MakeCredentialExtensionInputs()
        extensions.hmacSecretMC = input
        let response = try auth.makeCredential(makeRequest(extensions: extensions))
        let outputs = try #require(response.authenticatorData.extensions)
        #expect(outputs["hmac-secret"] == nil)
        let id = try #require(response.authenticatorData.attestedCredentialData?.credentialId)
        let keys = try #require(try store.credential(id: id, rpId: "example.com")?.hmacSecret)
        let expected = keys.withoutUV.withUnsafeBytes { HMACSHA256.authenticate([UInt8](repeating: 7, count: 32), key: $0) }
        #expect(try secret.decrypt(try #require(outputs["hmac-secret-mc"]?.bytesValue)).exposedCopy() == expected)
    }
}
