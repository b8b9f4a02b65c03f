import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto

struct GetAssertionTests {
    private func register(_ auth: Authenticator, rk: Bool = false, algorithm: Int = -7, userId: [UInt8] = [1, 2, 3],
                          extensions: MakeCredentialExtensionInputs = .init()) throws -> (id: [UInt8], key: PublicKey) {
        let made = try auth.makeCredential(makeRequest(userId: userId, algorithms: [algorithm], rk: rk, extensions: extensions))
        let attested = try #require(made.authenticatorData.attestedCredentialData)
        return (attested.credentialId, try PublicKey(coseKey: attested.publicKey))
    }

    @Test(arguments: COSEAlgorithm.allCases)
    func assertsWithAnAllowList(algorithm: COSEAlgorithm) throws {
        let auth = makeAuthenticator()
        let (id, key) = try register(auth, algorithm: algorithm.rawValue)
        let response = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash,
                                                                 allowList: [CredentialDescriptor(id: [0xff]), CredentialDescriptor(id: id)]))
        #expect(response.credentialId == id)
        #expect(response.authenticatorData.flags == [.userPresent])
        #expect(response.authenticatorData.signCount == 1)
        #expect(response.user == nil, "non-discoverable credentials return no user")
        #expect(response.numberOfCredentials == nil)
        #expect(key.isValidSignature(response.signature, for: response.authenticatorDataBytes + exampleHash))
    }

    @Test func counterIncrementsOrStaysZero() throws {
        let auth = makeAuthenticator()
        let (id, _) = try register(auth)
        let request = GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash, allowList: [CredentialDescriptor(id: id)])
        #expect(try auth.getAssertion(request).authenticatorData.signCount == 1)
        #expect(try auth.getAssertion(request).authenticatorData.signCount == 2)
        let synced = makeAuthenticator(.init(signCounter: .zero))
        let (syncedId, _) = try register(synced)
        let syncedRequest = GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash, allowList: [CredentialDescriptor(id: syncedId)])
        #expect(try synced.getAssertion(syncedRequest).authenticatorData.signCount == 0)
        #expect(try synced.getAssertion(syncedRequest).authenticatorData.signCount == 0)
    }

    @Test func noCredentialsForUnknownIdsOrAnotherRP() throws {
        let auth = makeAuthenticator()
        let (id, _) = try register(auth)
        #expect(expectStatus(.noCredentials) {
            _ = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash, allowList: [CredentialDescriptor(id: [1])]))
        })
        #expect(expectStatus(.noCredentials) {
            _ = try auth.getAssertion(GetAssertionRequest(rpId: "evil.example", clientDataHash: exampleHash, allowList: [CredentialDescriptor(id: id)]))
        })
        #expect(expectStatus(.noCredentials) {
            _ = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash))
        }, "a non-discoverable credential is not found without an allow list")
    }

    @Test func discoverableNewestFirstThenGetNextAssertion() throws {
        let auth = makeAuthenticator()
        let (older, _) = try register(auth, rk: true, userId: [1])
        let (newer, _) = try register(auth, rk: true, userId: [2])
        let first = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash, userVerification: true))
        #expect(first.credentialId == newer)
        #expect(first.numberOfCredentials == 2)
        #expect(first.user == UserEntity(id: [2], name: "alice@example.com", displayName: "Alice"))
        let second = try auth.getNextAssertion()
        #expect(second.credentialId == older)
        #expect(second.numberOfCredentials == nil)
        #expect(expectStatus(.notAllowed) { _ = try auth.getNextAssertion() })
        // Without UV the user map carries only the id (CTAP 2.2 §6.2.2).
        let unverified = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash))
        guard case .map(let user) = unverified.cborValue[4] else { Issue.record("no user"); return }
        #expect(user == ["id": .bytes([2])])
    }

    @Test func credProtectHidesCredentials() throws {
        let auth = makeAuthenticator()
        let (level3, _) = try register(auth, rk: true, userId: [3], extensions: .init(credProtect: .userVerificationRequired))
        let (level2, _) = try register(auth, rk: true, userId: [2], extensions: .init(credProtect: .userVerificationOptionalWithCredentialIDList))
        #expect(expectStatus(.noCredentials) { _ = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash)) })
        #expect(try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash, allowList: [CredentialDescriptor(id: level2)])).credentialId == level2)
        #expect(expectStatus(.noCredentials) {
            _ = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash, allowList: [CredentialDescriptor(id: level3)]))
        })
        let verified = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash, userVerification: true))
        #expect(verified.numberOfCredentials == 2)
    }

    @Test func silentAssertionHasNoUPFlag() throws {
        let auth = makeAuthenticator()
        let (id, _) = try register(auth)
        let response = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash,
                                                                 allowList: [CredentialDescriptor(id: id)], userPresence: false))
        #expect(!response.authenticatorData.flags.contains(.userPresent))
    }

    @Test func hmacSecretMatchesAnIndependentComputation() throws {
        let store = InMemoryCredentialStore()
        let auth = makeAuthenticator(store: store)
        let (id, _) = try register(auth, extensions: .init(hmacSecret: true))
        let record = try #require(store.credential(id: id, rpId: "example.com"))
        let keys = try #require(record.hmacSecret)
        let agreement = try auth.clientPIN(ClientPINRequest(pinUvAuthProtocol: 2, subCommand: ClientPINRequest.SubCommand.getKeyAgreement))
        let authenticatorKey = try COSEKey(cbor: try #require(agreement[1]), requireAlgorithm: false)
        for pinProtocol in PinUvAuthProtocol.allCases {
            for uv in [false, true] {
                let salt1 = [UInt8](repeating: 0x11, count: 32), salt2 = [UInt8](repeating: 0x22, count: 32)
                let (input, secret) = try HMACSecretInput.make(salts: [salt1, salt2], authenticatorKey: authenticatorKey, pinUvAuthProtocol: pinProtocol)
                let response = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash,
                                                                         allowList: [CredentialDescriptor(id: id)],
                                                                         extensions: .init(hmacSecret: input), userVerification: uv))
                let encrypted = try #require(response.authenticatorData.extensions?["hmac-secret"]?.bytesValue)
                let outputs = try secret.decrypt(encrypted).exposedCopy()
                let credRandom = uv ? keys.withUV : keys.withoutUV
                let expected = credRandom.withUnsafeBytes { HMACSHA256.authenticate(salt1, key: $0) + HMACSHA256.authenticate(salt2, key: $0) }
                #expect(outputs == expected, "protocol \(pinProtocol.rawValue), uv \(uv)")
            }
        }
        // A saltAuth that does not verify is refused.
        var (bad, _) = try HMACSecretInput.make(salts: [[UInt8](repeating: 1, count: 32)], authenticatorKey: authenticatorKey, pinUvAuthProtocol: .two)
        bad.saltAuth[0] ^= 1
        #expect(expectStatus(.pinAuthInvalid) {
            _ = try auth.getAssertion(GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash,
                                                          allowList: [CredentialDescriptor(id: id)], extensions: .init(hmacSecret: bad)))
        })
    }
}
