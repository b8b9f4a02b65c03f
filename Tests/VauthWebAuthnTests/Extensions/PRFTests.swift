import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
@testable import VauthWebAuthn

struct PRFTests {
    let inputA: [UInt8] = Array("first input".utf8)
    let inputB: [UInt8] = Array("second input".utf8)

    func prf(_ first: [UInt8], _ second: [UInt8]? = nil) -> JSONValue {
        var values: [(String, JSONValue)] = [("first", .string(Base64.urlEncode(first)))]
        if let second { values.append(("second", .string(Base64.urlEncode(second)))) }
        return ["prf": ["eval": .object(values)]]
    }

    /// The PRF value the RP should see, computed independently from the stored hmac-secret key.
    func expected(_ input: [UInt8], store: InMemoryCredentialStore, id: [UInt8], uv: Bool) throws -> [UInt8] {
        let record = try #require(store.allCredentials().first { $0.id == id })
        let keys = try #require(record.hmacSecret)
        let salt = SHA256.hash(Array("WebAuthn PRF".utf8) + [0] + input)
        return (uv ? keys.withUV : keys.withoutUV).withUnsafeBytes { HMACSHA256.authenticate(salt, key: $0) }
    }

    @Test func createEnablesAndEvaluates() throws {
        let store = InMemoryCredentialStore()
        let client = makeClient(store: store)
        let created = try client.create(creationOptions(extensions: prf(inputA, inputB)), origin: exampleOrigin)
        let output = try #require(created.clientExtensionResults.prf)
        #expect(output.enabled == true)
        let results = try #require(output.results)
        #expect(results.first == (try expected(inputA, store: store, id: created.rawId, uv: true)))
        #expect(results.second == (try expected(inputB, store: store, id: created.rawId, uv: true)))
        #expect(try DecodedRegistration(created).authenticatorData.extensions?["hmac-secret"] == true)
        let json = created.clientExtensionResults.json
        #expect(json["prf"]?["enabled"] == true)
        #expect(json["prf"]?["results"]?["first"] == .string(Base64.urlEncode(results.first)))

        // Without eval: enabled, no results.
        let enabledOnly = try client.create(creationOptions(extensions: ["prf": [:]]), origin: exampleOrigin)
        #expect(enabledOnly.clientExtensionResults.prf == PRFOutputs(enabled: true))
        #expect(enabledOnly.clientExtensionResults.json == ["prf": ["enabled": true]])

        // evalByCredential is not allowed at create.
        let error = clientError {
            _ = try client.create(creationOptions(extensions: ["prf": ["evalByCredential": ["AAAA": ["first": "AQ"]]]]), origin: exampleOrigin)
        }
        #expect(error?.kind == .notSupported)
    }

    @Test func getIsStablePerInputCredentialAndUV() throws {
        let store = InMemoryCredentialStore()
        let client = makeClient(store: store)
        let created = try client.create(creationOptions(extensions: prf(inputA)), origin: exampleOrigin)
        let atCreate = try #require(created.clientExtensionResults.prf?.results?.first)

        func evaluate(_ input: [UInt8], uv: String, allow: [[UInt8]]? = nil) throws -> PRFValues {
            let response = try client.get(requestOptions(allow: allow ?? [created.rawId], userVerification: uv, extensions: prf(input)),
                                          origin: exampleOrigin)
            return try #require(response.clientExtensionResults.prf?.results)
        }
        let a1 = try evaluate(inputA, uv: "required")
        let a2 = try evaluate(inputA, uv: "required")
        let b = try evaluate(inputB, uv: "required")
        let aWithoutUV = try evaluate(inputA, uv: "discouraged")
        #expect(a1 == a2, "same input, same credential, same UV: same output")
        #expect(a1.first == atCreate, "create (with UV) and get agree")
        #expect(a1.first != b.first)
        #expect(a1.first != aWithoutUV.first)
        #expect(a1.second == nil)
        #expect(a1.first == (try expected(inputA, store: store, id: created.rawId, uv: true)))
        #expect(aWithoutUV.first == (try expected(inputA, store: store, id: created.rawId, uv: false)))

        // Another credential gives other outputs for the same input.
        let other = try client.create(creationOptions(extensions: ["prf": [:]]), origin: exampleOrigin)
        let otherResult = try client.get(requestOptions(allow: [other.rawId], userVerification: "required", extensions: prf(inputA)),
                                         origin: exampleOrigin)
        #expect(otherResult.clientExtensionResults.prf?.results?.first != a1.first)

        // Two inputs at once.
        let both = try evaluate(inputA, uv: "required")
        let pair = try client.get(requestOptions(allow: [created.rawId], userVerification: "required", extensions: prf(inputA, inputB)),
                                  origin: exampleOrigin)
        #expect(pair.clientExtensionResults.prf?.results == PRFValues(first: both.first, second: b.first))
    }

    @Test func evalByCredentialPicksTheInputOfTheAnsweringCredential() throws {
        let store = InMemoryCredentialStore()
        let client = makeClient(store: store)
        let created = try client.create(creationOptions(extensions: ["prf": [:]]), origin: exampleOrigin)
        let unknown: [UInt8] = [0xde, 0xad]
        let extensions: JSONValue = ["prf": [
            "eval": ["first": .string(Base64.urlEncode(inputA))],
            "evalByCredential": [
                Base64.urlEncode(created.rawId): ["first": .string(Base64.urlEncode(inputB))],
                Base64.urlEncode(unknown): ["first": .string(Base64.urlEncode(inputA))],
            ],
        ]]
        let response = try client.get(requestOptions(allow: [unknown, created.rawId], userVerification: "required", extensions: extensions),
                                      origin: exampleOrigin)
        #expect(response.rawId == created.rawId)
        #expect(response.clientExtensionResults.prf?.results?.first == (try expected(inputB, store: store, id: created.rawId, uv: true)))
        _ = try verifyAssertion(response, key: try DecodedRegistration(created).publicKey)

        // Without allowCredentials: NotSupportedError; a key that is not in allowCredentials: SyntaxError.
        let noAllow = clientError { _ = try client.get(requestOptions(extensions: extensions), origin: exampleOrigin) }
        #expect(noAllow?.kind == .notSupported)
        let stray = clientError { _ = try client.get(requestOptions(allow: [created.rawId], extensions: extensions), origin: exampleOrigin) }
        #expect(stray?.kind == .syntax)
    }

    @Test func withoutPRFInputTheOutputIsEmptyAndWithoutHmacSecretThereAreNoResults() throws {
        let client = makeClient()
        let plain = try client.create(creationOptions(), origin: exampleOrigin)
        let response = try client.get(requestOptions(allow: [plain.rawId], extensions: prf(inputA)), origin: exampleOrigin)
        #expect(response.clientExtensionResults.prf == PRFOutputs(), "a credential without hmac-secret gives no results")
        #expect(response.clientExtensionResults.json == ["prf": [:]])
        let none = try client.get(requestOptions(allow: [plain.rawId]), origin: exampleOrigin)
        #expect(none.clientExtensionResults.prf == nil)
    }
}
