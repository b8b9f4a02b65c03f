import Testing
import VauthCrypto
@testable import VauthWebAuthn

struct ClientDataTests {
    @Test func exactBytesForAKnownInput() {
        let data = CollectedClientData(type: .create, challenge: Array(0..<32), origin: "https://login.example.com")
        let expected = #"{"type":"webauthn.create","challenge":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","origin":"https://login.example.com","crossOrigin":false}"#
        #expect(String(decoding: data.serialized, as: UTF8.self) == expected)
        #expect(Hex.encode(data.hash) == "0fc749e8d8813d416b205aa0e42eeffefc2e132a5d7987ff343968a4563d40f2")
    }

    @Test func crossOriginAddsTopOriginLast() {
        let data = CollectedClientData(type: .get, challenge: [0xff, 0xfe], origin: "https://idp.example",
                                       crossOrigin: true, topOrigin: "https://shop.example:8443")
        let expected = #"{"type":"webauthn.get","challenge":"__4","origin":"https://idp.example","crossOrigin":true,"topOrigin":"https://shop.example:8443"}"#
        #expect(String(decoding: data.serialized, as: UTF8.self) == expected)
        let sameOrigin = CollectedClientData(type: .get, challenge: [], origin: "https://a.example", crossOrigin: false, topOrigin: "https://b.example")
        #expect(String(decoding: sameOrigin.serialized, as: UTF8.self) == #"{"type":"webauthn.get","challenge":"","origin":"https://a.example","crossOrigin":false}"#)
    }

    @Test func ccdToStringEscapesOnlyWhatTheSpecSays() {
        // Quote and backslash get a backslash; other controls \u00xx in lowercase (no \n
        // shorthand); DEL, non-ASCII and astral characters stay raw UTF-8.
        let input = "a\"b\\c\u{01}\n\u{1F}\u{7F}é😀/"
        let expected = "\"a\\\"b\\\\c\\u0001\\u000a\\u001f\u{7F}é😀/\""
        #expect(String(decoding: CollectedClientData.ccdToString(input), as: UTF8.self) == expected)
        #expect(CollectedClientData.ccdToString("") == [0x22, 0x22])
    }

    @Test func clientDataJSONFromTheClientUsesTheConfiguredEmbedding() throws {
        let top = try Origin("https://top.example")
        let client = makeClient(configuration: ClientConfiguration(crossOrigin: true, topOrigin: top))
        let response = try client.create(creationOptions(), origin: exampleOrigin)
        let text = String(decoding: response.clientDataJSON, as: UTF8.self)
        #expect(text.hasPrefix(#"{"type":"webauthn.create","challenge":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","origin":"https://login.example.com","crossOrigin":true"#))
        #expect(text.hasSuffix(#","topOrigin":"https://top.example"}"#))
    }

    /// Issue 9 item 15: a top-level origin equal to the caller's is not a cross-origin embedding.
    @Test func aSameOriginTopOriginIsNotCrossOrigin() throws {
        let client = makeClient(configuration: ClientConfiguration(crossOrigin: true, topOrigin: exampleOrigin))
        let response = try client.create(creationOptions(), origin: exampleOrigin)
        let text = String(decoding: response.clientDataJSON, as: UTF8.self)
        #expect(text.hasSuffix(#","crossOrigin":false}"#), "\(text)")
    }
}
