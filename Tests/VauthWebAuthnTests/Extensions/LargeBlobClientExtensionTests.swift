import Testing
import VauthWebAuthn

/// largeBlob on an authenticator without large-blob storage, as Chromium's virtual authenticator
/// without it answers (measured; docs/bridge.md).
struct LargeBlobClientExtensionTests {
    @Test func registrationReportsNoSupportAndRefusesARequirement() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(extensions: ["largeBlob": ["support": "preferred"], "credProps": true]), origin: exampleOrigin)
        #expect(created.clientExtensionResults.largeBlob == LargeBlobOutputs(supported: false))
        #expect(created.clientExtensionResults.json == ["credProps": ["rk": false], "largeBlob": ["supported": false]])
        #expect(clientError { _ = try client.create(creationOptions(extensions: ["largeBlob": ["support": "required"]]), origin: exampleOrigin) }?
            .kind == .notAllowed)
        #expect(clientError { _ = try client.create(creationOptions(extensions: ["largeBlob": ["read": true]]), origin: exampleOrigin) }?
            .kind == .notSupported)
    }

    @Test func assertionsReadNothingAndWriteNothing() throws {
        let client = makeClient()
        let created = try client.create(creationOptions(residentKey: "required"), origin: exampleOrigin)
        let read = try client.get(requestOptions(allow: [created.rawId], extensions: ["largeBlob": ["read": true]]), origin: exampleOrigin)
        #expect(read.clientExtensionResults.json == ["largeBlob": [:]])
        let write = try client.get(requestOptions(allow: [created.rawId], extensions: ["largeBlob": ["write": "AQID"]]), origin: exampleOrigin)
        #expect(write.clientExtensionResults.json == ["largeBlob": ["written": false]])
        #expect(clientError { _ = try client.get(requestOptions(extensions: ["largeBlob": ["read": true, "write": "AQID"]]), origin: exampleOrigin) }?
            .kind == .notSupported)
        #expect(clientError { _ = try client.get(requestOptions(extensions: ["largeBlob": ["support": "preferred"]]), origin: exampleOrigin) }?
            .kind == .notSupported)
    }
}
