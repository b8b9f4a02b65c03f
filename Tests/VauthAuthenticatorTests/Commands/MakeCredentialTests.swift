import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto

struct MakeCredentialTests {
    @Test(arguments: COSEAlgorithm.allCases)
    func makesACredentialWithAttestedData(algorithm: COSEAlgorithm) throws {
        let auth = makeAuthenticator()
        let response = try auth.makeCredential(makeRequest(algorithms: [algorithm.rawValue]))
        let data = try AuthenticatorData(bytes: response.authenticatorDataBytes)
        #expect(data.rpIdHash == SHA256.hash(Array("example.com".utf8)))
        #expect(data.flags == [.userPresent, .attestedCredentialData])
        #expect(data.signCount == 0)
        let attested = try #require(data.attestedCredentialData)
        #expect(attested.aaguid == AAGUID.vauthDefault)
        #expect(attested.credentialId.count == 16)
        #expect(attested.publicKey.algorithm == algorithm.rawValue)
        #expect(response.attestation.format == "packed")
        // packed basic: signed by the batch key, whose certificate is x5c[0].
        let x5c = try #require(response.attestation.statement["x5c"]?.arrayValue)
        let leaf = try X509Certificate(der: try #require(x5c.first?.bytesValue))
        let sig = try #require(response.attestation.statement["sig"]?.bytesValue)
        #expect(try leaf.publicKey().isValidSignature(sig, for: response.authenticatorDataBytes + exampleHash))
        #expect(response.attestation.statement["alg"] == .int(-7))
    }

    @Test func selfAttestationSignsWithTheCredentialKey() throws {
        let auth = makeAuthenticator(.init(attestation: .self))
        let response = try auth.makeCredential(makeRequest(algorithms: [-8]))
        #expect(response.attestation.statement["x5c"] == nil)
        #expect(response.attestation.statement["alg"] == .int(-8))
        let key = try PublicKey(coseKey: try #require(response.authenticatorData.attestedCredentialData).publicKey)
        #expect(key.isValidSignature(try #require(response.attestation.statement["sig"]?.bytesValue), for: response.authenticatorDataBytes + exampleHash))
    }

    @Test func noneAttestationWhenConfiguredOrPreferred() throws {
        #expect(try makeAuthenticator(.init(attestation: .none)).makeCredential(makeRequest()).attestation == .none)
        var request = makeRequest()
        request.attestationFormatsPreference = ["none", "packed"]
        #expect(try makeAuthenticator().makeCredential(request).attestation == .none)
        request.requestedAttestation = .self
        request.attestationFormatsPreference = nil
        #expect(try makeAuthenticator().makeCredential(request).attestation.statement["x5c"] == nil)
    }

    @Test func picksTheFirstSupportedAlgorithmInTheRPsOrder() throws {
        let auth = makeAuthenticator(.init(algorithms: [.es256, .rs256]))
        let response = try auth.makeCredential(makeRequest(algorithms: [-36, -8, -257, -7]))
        #expect(response.authenticatorData.attestedCredentialData?.publicKey.algorithm == -257)
        #expect(expectStatus(.unsupportedAlgorithm) { _ = try auth.makeCredential(makeRequest(algorithms: [-8, -36])) })
        #expect(expectStatus(.unsupportedAlgorithm) { _ = try auth.makeCredential(makeRequest(algorithms: [])) })
    }

    @Test func excludeListRefusesAKnownCredential() throws {
        let auth = makeAuthenticator()
        let id = try #require(try auth.makeCredential(makeRequest()).authenticatorData.attestedCredentialData?.credentialId)
        #expect(expectStatus(.credentialExcluded) { _ = try auth.makeCredential(makeRequest(exclude: [[9, 9], id])) })
        // The same id under another RP is not excluded.
        _ = try auth.makeCredential(makeRequest(rpId: "other.example", exclude: [id]))
    }

    @Test func excludeListDoesNotRevealACredProtectLevel3CredentialWithoutUV() throws {
        let auth = makeAuthenticator()
        let id = try #require(try auth.makeCredential(makeRequest(extensions: .init(credProtect: .userVerificationRequired)))
            .authenticatorData.attestedCredentialData?.credentialId)
        _ = try auth.makeCredential(makeRequest(exclude: [id]))
        #expect(expectStatus(.credentialExcluded) { _ = try auth.makeCredential(makeRequest(uv: true, exclude: [id])) })
    }

    @Test func userVerificationPolicy() throws {
        let verified = try makeAuthenticator().makeCredential(makeRequest(uv: true))
        #expect(verified.authenticatorData.flags.contains(.userVerified))
        #expect(!(try makeAuthenticator().makeCredential(makeRequest(uv: false))).authenticatorData.flags.contains(.userVerified))
        #expect(expectStatus(.operationDenied) { _ = try makeAuthenticator(.init(userVerification: .refused)).makeCredential(makeRequest(uv: true)) })
        #expect(expectStatus(.invalidOption) { _ = try makeAuthenticator(.init(userVerification: .unsupported)).makeCredential(makeRequest(uv: true)) })
        var noPresence = makeRequest()
        noPresence.userPresence = false
        #expect(expectStatus(.invalidOption) { _ = try makeAuthenticator().makeCredential(noPresence) })
    }

    @Test func pinUvAuthParamWithoutAPin() {
        var probe = makeRequest()
        probe.pinUvAuthParam = []
        probe.pinUvAuthProtocol = 2
        #expect(expectStatus(.pinNotSet) { _ = try makeAuthenticator().makeCredential(probe) })
        probe.pinUvAuthParam = [UInt8](repeating: 1, count: 32)
        #expect(expectStatus(.pinAuthInvalid) { _ = try makeAuthenticator().makeCredential(probe) })
    }

    @Test func backupFlagsAndExtensions() throws {
        let auth = makeAuthenticator(.init(backupEligible: true, backedUp: true))
        var extensions = MakeCredentialExtensionInputs(credProtect: .userVerificationOptionalWithCredentialIDList)
        extensions.hmacSecret = true
        let response = try auth.makeCredential(makeRequest(extensions: extensions))
        let flags = response.authenticatorData.flags
        #expect(flags.isSuperset(of: [.backupEligible, .backedUp, .extensionData, .attestedCredentialData]))
        #expect(response.authenticatorData.extensions == ["credProtect": 2, "hmac-secret": true])
        // BS without BE is meaningless and never set.
        let plain = try makeAuthenticator(.init(backupEligible: false, backedUp: true)).makeCredential(makeRequest())
        #expect(!plain.authenticatorData.flags.contains(.backedUp))
    }

    @Test func discoverableCredentialForTheSameUserIsReplaced() throws {
        let store = InMemoryCredentialStore()
        let auth = makeAuthenticator(store: store)
        _ = try auth.makeCredential(makeRequest(rk: true))
        _ = try auth.makeCredential(makeRequest(rk: true))
        _ = try auth.makeCredential(makeRequest(userId: [7], rk: true))
        _ = try auth.makeCredential(makeRequest(rk: false))
        #expect(store.allCredentials().count == 3)
        #expect(store.discoverableCredentials(rpId: "example.com").count == 2)
    }
}
