import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
@testable import VauthWebAuthn

struct CeremonyTests {
    @Test(arguments: COSEAlgorithm.allCases, [false, true])
    func createThenGet(algorithm: COSEAlgorithm, discoverable: Bool) throws {
        let client = makeClient()
        let created = try client.create(creationOptions(algorithms: [algorithm.rawValue], residentKey: discoverable ? "required" : "discouraged"),
                                        origin: exampleOrigin)
        let registration = try DecodedRegistration(created)
        #expect(created.id == Base64.urlEncode(created.rawId))
        #expect(created.rawId == registration.attested.credentialId)
        #expect(created.publicKeyAlgorithm == algorithm.rawValue)
        #expect(created.transports == ["usb"])
        #expect(created.authenticatorAttachment == .crossPlatform)
        #expect(created.authenticatorData == registration.attestationObject.authenticatorData)
        #expect(registration.authenticatorData.rpIdHash == SHA256.hash(Array("example.com".utf8)))
        #expect(registration.authenticatorData.flags.contains([.userPresent, .userVerified, .attestedCredentialData]))
        let spki = try #require(created.publicKey)
        #expect(try PublicKey(spkiDER: spki).coseKey() == registration.attested.publicKey)

        let assertion = try client.get(requestOptions(allow: discoverable ? [] : [created.rawId]), origin: exampleOrigin)
        #expect(assertion.rawId == created.rawId)
        let data = try verifyAssertion(assertion, key: registration.publicKey)
        #expect(data.signCount == 1)
        #expect(assertion.userHandle == (discoverable ? [1, 2, 3, 4] : nil))
        #expect(String(decoding: assertion.clientDataJSON, as: UTF8.self).hasPrefix(#"{"type":"webauthn.get","challenge":""#))
    }

    @Test func algorithmFollowsTheRPsOrderAndDefaults() throws {
        let client = makeClient()
        #expect(try client.create(creationOptions(algorithms: [-257, -8, -7]), origin: exampleOrigin).publicKeyAlgorithm == -257)
        #expect(try client.create(creationOptions(algorithms: [-35, -8, -7]), origin: exampleOrigin).publicKeyAlgorithm == -8)
        #expect(try client.create(creationOptions(algorithms: []), origin: exampleOrigin).publicKeyAlgorithm == -7)
        let limited = makeClient(AuthenticatorPolicy(algorithms: [.rs256]))
        #expect(try limited.create(creationOptions(algorithms: []), origin: exampleOrigin).publicKeyAlgorithm == -257,
                "the default list is ES256 then RS256")
        let error = clientError { _ = try client.create(creationOptions(algorithms: [-35, -36]), origin: exampleOrigin) }
        #expect(error?.kind == .notSupported)
        #expect(error?.ctapStatus == .unsupportedAlgorithm)
    }

    @Test func userVerificationRequirements() throws {
        // required, and the authenticator has no UV: refused by the client before any CTAP call.
        let none = makeClient(AuthenticatorPolicy(userVerification: .unsupported))
        let error = clientError { _ = try none.create(creationOptions(userVerification: "required"), origin: exampleOrigin) }
        #expect(error?.kind == .notAllowed)
        #expect(error?.message == "user verification required but the authenticator has none")
        // preferred on an authenticator without UV: made without it.
        let made = try none.create(creationOptions(userVerification: "preferred"), origin: exampleOrigin)
        let flags = try DecodedRegistration(made).authenticatorData.flags
        #expect(!flags.contains(.userVerified))
        #expect(clientError { _ = try none.get(requestOptions(allow: [made.rawId], userVerification: "required"), origin: exampleOrigin) }?.kind == .notAllowed)

        // The user declines UV: the authenticator says OPERATION_DENIED, the page sees NotAllowedError.
        let refusing = makeClient(AuthenticatorPolicy(userVerification: .refused))
        let refused = clientError { _ = try refusing.create(creationOptions(userVerification: "required"), origin: exampleOrigin) }
        #expect(refused?.kind == .notAllowed)
        #expect(refused?.ctapStatus == .operationDenied)
        let discouraged = try refusing.create(creationOptions(userVerification: "discouraged"), origin: exampleOrigin)
        #expect(!(try DecodedRegistration(discouraged).authenticatorData.flags.contains(.userVerified)))

        // discouraged on a capable authenticator: no UV in the assertion.
        let client = makeClient()
        let created = try client.create(creationOptions(), origin: exampleOrigin)
        let assertion = try client.get(requestOptions(allow: [created.rawId], userVerification: "discouraged"), origin: exampleOrigin)
        #expect(!(try AuthenticatorData(bytes: assertion.authenticatorData).flags.contains(.userVerified)))
    }

    @Test func excludedCredentialIsInvalidState() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(), origin: exampleOrigin)
        let error = clientError { _ = try client.create(creationOptions(exclude: [[9, 9], created.rawId]), origin: exampleOrigin) }
        #expect(error?.kind == .invalidState)
        #expect(error?.name == "InvalidStateError")
        #expect(throws: Never.self) { _ = try client.create(creationOptions(exclude: [[9, 9]]), origin: exampleOrigin) }
    }

    @Test func unknownOrForeignCredentialsAreNotAllowed() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(), origin: exampleOrigin)
        let unknown = clientError { _ = try client.get(requestOptions(allow: [[1, 2, 3]]), origin: exampleOrigin) }
        #expect(unknown?.kind == .notAllowed)
        #expect(unknown?.ctapStatus == .noCredentials)
        // The same credential from a page of another RP.
        let other = try Origin("https://other.example")
        #expect(clientError { _ = try client.get(requestOptions(allow: [created.rawId], rpId: nil), origin: other) }?.kind == .notAllowed)
        // Not discoverable: an empty allow list finds nothing.
        #expect(clientError { _ = try client.get(requestOptions(), origin: exampleOrigin) }?.kind == .notAllowed)
        // An rpId the origin may not claim is a SecurityError before the authenticator is asked.
        #expect(clientError { _ = try client.get(requestOptions(allow: [created.rawId], rpId: "example.org"), origin: exampleOrigin) }?.kind == .security)
    }

    @Test func preferredCredentialPicksAmongDiscoverableAndAllowed() throws {
        let client = makeClient()
        let older = try client.create(creationOptions(residentKey: "required", userId: [1]), origin: exampleOrigin)
        let newer = try client.create(creationOptions(residentKey: "required", userId: [2]), origin: exampleOrigin)
        #expect(try client.get(requestOptions(), origin: exampleOrigin).rawId == newer.rawId, "newest first")
        let picked = try client.get(requestOptions(), origin: exampleOrigin, preferredCredentialId: older.rawId)
        #expect(picked.rawId == older.rawId)
        #expect(picked.userHandle == [1])
        let allowed = try client.get(requestOptions(allow: [newer.rawId, older.rawId]), origin: exampleOrigin, preferredCredentialId: older.rawId)
        #expect(allowed.rawId == older.rawId)
        #expect(clientError { _ = try client.get(requestOptions(allow: [newer.rawId]), origin: exampleOrigin, preferredCredentialId: older.rawId) }?.kind == .notAllowed)
        #expect(clientError { _ = try client.get(requestOptions(), origin: exampleOrigin, preferredCredentialId: [7, 7]) }?.kind == .notAllowed)
    }

    @Test func residentKeyPreferenceAndCredProps() throws {
        let client = makeClient()
        for (requirement, expected) in [("required", true), ("preferred", true), ("discouraged", false)] {
            let response = try client.create(creationOptions(residentKey: requirement, extensions: ["credProps": true]), origin: exampleOrigin)
            #expect(response.clientExtensionResults.credProps == CredentialPropertiesOutput(rk: expected))
            #expect(response.clientExtensionResults.json == ["credProps": ["rk": .bool(expected)]])
        }
        let plain = try client.create(creationOptions(), origin: exampleOrigin)
        #expect(plain.clientExtensionResults.json == [:], "credProps only when asked; unknown extensions are not echoed")
        let unknown = try client.create(creationOptions(extensions: ["devicePubKey": ["attestation": "none"], "minPinLength": true]), origin: exampleOrigin)
        #expect(unknown.clientExtensionResults.json == [:])
    }

    @Test func credentialProtectionPolicyMapsToCredProtect() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(residentKey: "required", extensions: [
            "credentialProtectionPolicy": "userVerificationRequired", "enforceCredentialProtectionPolicy": true,
        ]), origin: exampleOrigin)
        #expect(try DecodedRegistration(created).authenticatorData.extensions == ["credProtect": 3])
        // Level 3: invisible without UV, usable with it.
        #expect(clientError { _ = try client.get(requestOptions(userVerification: "discouraged"), origin: exampleOrigin) }?.kind == .notAllowed)
        #expect(try client.get(requestOptions(userVerification: "required"), origin: exampleOrigin).rawId == created.rawId)
        let level2 = try client.create(creationOptions(extensions: ["credentialProtectionPolicy": "userVerificationOptionalWithCredentialIDList"]),
                                       origin: exampleOrigin)
        #expect(try DecodedRegistration(level2).authenticatorData.extensions == ["credProtect": 2])
    }

    @Test func attachmentAndTransports() throws {
        let platform = makeClient(configuration: ClientConfiguration(attachment: .platform))
        let made = try platform.create(creationOptions(), origin: exampleOrigin)
        #expect(made.authenticatorAttachment == .platform)
        #expect(made.transports == ["internal"])
        #expect(try platform.get(requestOptions(allow: [made.rawId]), origin: exampleOrigin).authenticatorAttachment == .platform)

        var options = creationOptions()
        options.authenticatorSelection?.authenticatorAttachment = .crossPlatform
        #expect(clientError { _ = try platform.create(options, origin: exampleOrigin) }?.kind == .notAllowed)

        options.authenticatorSelection?.authenticatorAttachment = .platform
        let following = try makeClient().create(options, origin: exampleOrigin)
        #expect(following.authenticatorAttachment == .platform, "nil configuration follows the RP")
        #expect(following.transports == ["internal"])
    }

    @Test func storeFailuresKeepTheUnderlyingError() throws {
        let client = makeClient(store: BrokenStore())
        let error = try #require(clientError { _ = try client.create(creationOptions(), origin: exampleOrigin) })
        #expect(error.kind == .storage)
        #expect(error.underlying is BrokenStore.Corrupt)
        #expect(error.message == "keystore /tmp/x.vauth is corrupt: bad MAC")
        let getError = clientError { _ = try client.get(requestOptions(allow: [[1]]), origin: exampleOrigin) }
        #expect(getError?.kind == .storage)
        #expect(getError?.underlying is BrokenStore.Corrupt)
    }

    @Test func stringEntryPointsParseOriginAndOptions() throws {
        let client = makeClient()
        let json = """
        {"publicKey": {"rp": {"name": "Example"}, "user": {"id": "AQ", "name": "a", "displayName": "A"},
         "challenge": "AAAA", "pubKeyCredParams": [{"type": "public-key", "alg": -7}]}}
        """
        let created = try client.create(optionsJSON: json, origin: "http://localhost:8080")
        #expect(try AuthenticatorData(bytes: created.authenticatorData).rpIdHash == SHA256.hash(Array("localhost".utf8)))
        let got = try client.get(optionsJSON: #"{"challenge": "AQID", "allowCredentials": [{"type": "public-key", "id": "\#(created.id)"}]}"#,
                                 origin: "http://localhost:8080")
        #expect(got.rawId == created.rawId)
        #expect(clientError { _ = try client.create(optionsJSON: json, origin: "http://example.com") }?.kind == .security)
        #expect(clientError { _ = try client.create(optionsJSON: "{", origin: "https://example.com") }?.kind == .syntax)
    }

    @Test func responseJSONShape() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(residentKey: "required", extensions: ["credProps": true]), origin: exampleOrigin)
        let registration = try JSONParser.parse(created.serialized())
        #expect(registration.objectValue?.map(\.0) == ["id", "rawId", "type", "authenticatorAttachment", "clientExtensionResults", "response"])
        #expect(registration["response"]?.objectValue?.map(\.0) == [
            "attestationObject", "authenticatorData", "clientDataJSON", "publicKey", "publicKeyAlgorithm", "transports",
        ])
        #expect(registration["type"] == "public-key")
        #expect(registration["id"] == .string(created.id))
        #expect(registration["response"]?["publicKeyAlgorithm"] == -7)
        #expect(registration["response"]?["clientDataJSON"] == .string(Base64.urlEncode(created.clientDataJSON)))
        #expect(!created.serialized(.compact).contains("\n"))
        #expect(!created.serialized().contains("="), "base64url without padding")

        let assertion = try client.get(requestOptions(), origin: exampleOrigin)
        let authentication = try JSONParser.parse(assertion.serialized(.compact))
        #expect(authentication.objectValue?.map(\.0) == ["id", "rawId", "type", "authenticatorAttachment", "clientExtensionResults", "response"])
        #expect(authentication["response"]?.objectValue?.map(\.0) == ["authenticatorData", "clientDataJSON", "signature", "userHandle"])
        #expect(authentication["response"]?["userHandle"] == .string(Base64.urlEncode([1, 2, 3, 4])))
        #expect(authentication["clientExtensionResults"] == [:])

        let plain = try client.create(creationOptions(), origin: exampleOrigin)
        let withoutHandle = try JSONParser.parse(try client.get(requestOptions(allow: [plain.rawId]), origin: exampleOrigin).serialized())
        #expect(withoutHandle["response"]?["userHandle"] == nil)
    }
}
