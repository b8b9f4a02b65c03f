import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
@testable import VauthWebAuthn

/// Issue 18 item 2: allowCredentials longer than getInfo's maxCredentialCountInList (64) used to
/// fail with CTAP2_ERR_LIMIT_EXCEEDED even when a listed credential existed. The client now
/// probes batches of 64 silently (`up: false`) and sends the one credential that answered.
struct AllowListBatchingTests {
    static let limit = Authenticator.maximumCredentialCountInList

    /// `count` random ids with `real` at `position`.
    func allowList(count: Int, real: [UInt8], at position: Int) -> [[UInt8]] {
        var ids = (0..<count).map { _ in try! SecureRandom.bytes(16) }
        ids[position] = real
        return ids
    }

    @Test(arguments: [0, 63, 64, 127, 128, 299])
    func findsTheListedCredentialInAnyBatch(position: Int) throws {
        let client = makeClient()
        let created = try client.create(creationOptions(), origin: exampleOrigin)
        let key = try DecodedRegistration(created).publicKey
        let assertion = try client.get(requestOptions(allow: allowList(count: 300, real: created.rawId, at: position)), origin: exampleOrigin)
        #expect(assertion.rawId == created.rawId)
        let data = try verifyAssertion(assertion, key: key)
        // The real assertion has user presence; the silent probe before it advanced the counter too.
        #expect(data.flags.contains(.userPresent))
        #expect(data.signCount == 2)
    }

    @Test func aListOfExactlyTheLimitIsSentWholeWithoutAProbe() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(), origin: exampleOrigin)
        let assertion = try client.get(requestOptions(allow: allowList(count: Self.limit, real: created.rawId, at: Self.limit - 1)),
                                       origin: exampleOrigin)
        #expect(try verifyAssertion(assertion, key: try DecodedRegistration(created).publicKey).signCount == 1)
    }

    @Test func noListedCredentialFailsAsAnUnbatchedListWould() throws {
        let client = makeClient()
        _ = try client.create(creationOptions(), origin: exampleOrigin)
        let ids = (0..<200).map { _ in try! SecureRandom.bytes(16) }
        let error = clientError { _ = try client.get(requestOptions(allow: ids), origin: exampleOrigin) }
        #expect(error?.kind == .notAllowed)
        #expect(error?.ctapStatus == .noCredentials)
    }

    @Test func aCredProtectLevelThreeCredentialIsFoundWithUserVerification() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(extensions: ["credentialProtectionPolicy": "userVerificationRequired"]),
                                        origin: exampleOrigin)
        let ids = allowList(count: 100, real: created.rawId, at: 80)
        let assertion = try client.get(requestOptions(allow: ids, userVerification: "required"), origin: exampleOrigin)
        #expect(assertion.rawId == created.rawId)
        // Without UV the credential stays hidden, batched or not (CTAP 2.2 §12.1).
        let error = clientError { _ = try client.get(requestOptions(allow: ids, userVerification: "discouraged"), origin: exampleOrigin) }
        #expect(error?.ctapStatus == .noCredentials)
    }

    @Test func theAuthenticatorStillRefusesALongListOverCTAP() throws {
        // The limit itself stays: a CTAP client that sends 65 entries is told LIMIT_EXCEEDED.
        let authenticator = makeAuthenticator()
        let request = GetAssertionRequest(rpId: "example.com", clientDataHash: [UInt8](repeating: 1, count: 32),
                                          allowList: (0...Self.limit).map { _ in CredentialDescriptor(id: try! SecureRandom.bytes(16)) })
        #expect(authenticator.handle([0x02] + request.cborValue.encoded) == [CTAPStatus.limitExceeded.rawValue])
    }
}
