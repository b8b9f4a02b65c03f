import Testing
import VauthAuthenticator
import VauthCBOR

/// Issue 18 item 1: names are stored cut to 64 bytes of UTF-8 on a character boundary
/// (CTAP 2.2 §6.1.2, WebAuthn L3 §6.4.1), wherever a credential is made or its user updated.
struct NameTruncationTests {
    @Test func shortNamesAreKeptAsTheyAre() {
        #expect(NameTruncation.truncated("") == "")
        #expect(NameTruncation.truncated("alice") == "alice")
        let exactly64 = String(repeating: "a", count: 64)
        #expect(NameTruncation.truncated(exactly64) == exactly64)
    }

    @Test func asciiIsCutAtSixtyFourBytes() {
        #expect(NameTruncation.truncated(String(repeating: "a", count: 65)) == String(repeating: "a", count: 64))
        #expect(NameTruncation.truncated(String(repeating: "b", count: 1 << 20)).utf8.count == 64)
    }

    @Test func neverSplitsAUTF8Sequence() {
        // 63 ASCII bytes and then "é" (2 bytes): the é does not fit and is dropped whole.
        let name = String(repeating: "a", count: 63) + "é" + "z"
        #expect(NameTruncation.truncated(name) == String(repeating: "a", count: 63))
        // 21 three-byte characters are 63 bytes; a 22nd would make 66.
        let kanji = String(repeating: "漢", count: 30)
        #expect(NameTruncation.truncated(kanji) == String(repeating: "漢", count: 21))
        // Four-byte scalars: 16 fit exactly.
        #expect(NameTruncation.truncated(String(repeating: "😀", count: 20)) == String(repeating: "😀", count: 16))
    }

    @Test func keepsGraphemeClustersWhole() {
        // "e" + U+0301 is one character of 3 bytes: at bytes 63–65 it goes as a whole, not as a bare "e".
        let name = String(repeating: "a", count: 62) + "e\u{301}" + "z"
        #expect(NameTruncation.truncated(name) == String(repeating: "a", count: 62))
        // A family emoji (25 bytes, one cluster) is never cut into its members.
        let family = "👨‍👩‍👧‍👦"
        #expect(NameTruncation.truncated(String(repeating: "a", count: 50) + family) == String(repeating: "a", count: 50))
    }

    @Test func aSingleClusterLongerThanTheLimitFallsBackToScalars() {
        // One base letter under 100 combining marks is one character of 201 bytes: the cut is at
        // a scalar boundary instead, so something of the name stays and the result is valid UTF-8.
        let zalgo = "a" + String(repeating: "\u{301}", count: 100)
        let kept = NameTruncation.truncated(zalgo)
        #expect(kept.utf8.count == 63)
        #expect(kept.unicodeScalars.count == 32)
        #expect(zalgo.unicodeScalars.starts(with: kept.unicodeScalars))
    }

    @Test func makeCredentialStoresTruncatedNames() throws {
        let store = InMemoryCredentialStore()
        let auth = makeAuthenticator(store: store)
        let huge = String(repeating: "x", count: 2 << 20)
        var request = makeRequest(rk: true)
        request.rp.name = "RP " + huge
        request.user.name = "user " + huge
        request.user.displayName = "Ünïcödé " + huge
        let response = try auth.makeCredential(request)
        let id = try #require(response.authenticatorData.attestedCredentialData).credentialId
        let record = try #require(store.credential(id: id, rpId: "example.com"))
        #expect(record.rp.name == "RP " + String(repeating: "x", count: 61))
        #expect(record.user.name == "user " + String(repeating: "x", count: 59))
        #expect(record.user.displayName?.utf8.count == 64)
        #expect(record.user.displayName?.hasPrefix("Ünïcödé x") == true)
        #expect(record.user.id == request.user.id)
    }

    @Test func makeCredentialOverCBORStoresTruncatedNames() throws {
        // What `vauth serve` runs: the request arrives as CTAP bytes.
        let store = InMemoryCredentialStore()
        let auth = makeAuthenticator(store: store)
        var request = makeRequest(rk: true)
        request.user.displayName = String(repeating: "é", count: 1_000)  // 2,000 bytes: within a CTAPHID message
        let reply = auth.handle([0x01] + request.cborValue.encoded)
        #expect(reply.first == 0x00)
        let record = try #require(store.allCredentials().first)
        #expect(record.user.displayName == String(repeating: "é", count: 32))
    }
}
