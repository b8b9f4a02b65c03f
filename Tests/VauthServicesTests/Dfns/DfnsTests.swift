import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthServices
import VauthWebAuthn

/// The Dfns pieces on their own. The interop suite checks vauth's output with independent
/// verifiers; these pin the exact bytes and the failure modes close to the code.
struct DfnsTests {
    let origin = try! Origin("https://app.example.com")

    @Test func recoveryCodesHaveTheContractShapeAndParseBack() throws {
        for _ in 0..<20 {
            let code = try DfnsRecoveryCode.generate()
            let text = code.revealedText()
            #expect(text.count == 3 + 32 + 5)
            #expect(DfnsRecoveryCode.isWellFormed(Array(text.utf8)))
            let typed = try DfnsRecoveryCode(typed: "  " + text.lowercased() + "\n")
            #expect(typed.text.constantTimeEquals(code.text))
        }
    }

    @Test(arguments: ["", "D1-ABC", "D2-ABCDEF-GHJKL-MNPQR-STUVW-XYZ23-456789", "D1-ABCDEF-GHJKL-MNPQR-STUVW-XYZ23-45678O",
                      "D1-ABCDEF-GHJKL-MNPQR-STUVW-XYZ23-456789-"])
    func malformedCodesAreRefused(_ text: String) {
        #expect(throws: DfnsError.self) { try DfnsRecoveryCode(typed: text) }
    }

    /// Made by the Python implementation of the SDK's algorithm (Tests/Interop/standins/dfns.py):
    /// vauth must open it to the same key.
    @Test func opensARecoveryKeyEncryptedByThePythonImplementation() throws {
        let encrypted = "eyJrZXkiOiI5SDduRkE3bk9QazdUZk9VZUpFQTJHWXFMRUVlWStGVlA3aTc5eW1jc2Rqa1F1cUhIU0RNWUFPamIzY0NlZjYxSWRhd1Z3RWt4bmo2Mll6cWYvNnV1enMxcnZQVUF0SmhXa2I2STlvUVRjRjE5Zll1dzd3WGhIQkc0TUtPTDRGd0ZIWk82SXgxSUlxSDNvemczRE1LdzhycGxQUitjUms4SGZqZThrUWNaT0dpaElEZ3dQa2duOUcvVUdOR0Q2ZmlvbXI5aGZuS2lpbUR2UT09IiwiaXYiOiJvOTRFcE1zVElLVlVYc1A0RXlUQ293PT0ifQ=="
        let expected = """
            -----BEGIN PUBLIC KEY-----
            MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGS4yeaRO3SDzDZoglEY+7UyN3jz7
            60ASdTobzXkGeQ3LNRYD3AP9hKsC1/abOkPDhEb5CHtDJnvMR3qyQZFs6w==
            -----END PUBLIC KEY-----

            """
        let code = try DfnsRecoveryCode(typed: "D1-ABCDEF-GHJKL-MNPQR-STUVW-XYZ23-456789")
        let key = try DfnsKeyEncryption.decrypt(encrypted, under: .recoveryCode(code), username: " Alice@Example.COM")
        #expect(try key.publicKey.pem() == expected)
        #expect(throws: DfnsError.self) {
            try DfnsKeyEncryption.decrypt(encrypted, under: .recoveryCode(code), username: "bob@example.com")
        }
    }

    @Test func encryptionRoundTripsAndRefusesAnotherCode() throws {
        let key = try SigningKey.generate(.es256)
        let code = try DfnsRecoveryCode.generate()
        let encrypted = try DfnsKeyEncryption.encrypt(pkcs8: try key.pkcs8DER(), under: .recoveryCode(code), username: "alice@example.com")
        let opened = try DfnsKeyEncryption.decrypt(encrypted, under: .recoveryCode(code), username: "ALICE@example.com")
        #expect(try opened.publicKey.spkiDER() == key.publicKey.spkiDER())
        #expect(throws: DfnsError.self) {
            try DfnsKeyEncryption.decrypt(encrypted, under: .recoveryCode(try DfnsRecoveryCode.generate()), username: "alice@example.com")
        }
    }

    /// Issue 18 item 1: a Dfns user's names from the server are stored truncated to 64 bytes, as a
    /// WebAuthn credential's are; the user id (the handle) is kept whole.
    @Test func keyCredentialRecordsStoreTruncatedNames() throws {
        let credential = try DfnsKeyCredential.make(challenge: "abc", origin: origin, algorithm: .es256)
        let user = DfnsRegistrationChallenge.User(id: "us-123", name: "alice@example.com" + String(repeating: "a", count: 1 << 20),
                                                  displayName: String(repeating: "Ä", count: 100))
        let record = try credential.record(kind: .key, user: user, origin: origin, now: 0)
        #expect(record.user.name == "alice@example.com" + String(repeating: "a", count: 47))
        #expect(record.user.displayName == String(repeating: "Ä", count: 32))
        #expect(record.user.id == Array("us-123".utf8))
    }

    @Test func clientDataIsTheSeedShapeAsCompactJSON() {
        let clientData = DfnsClientData(.create, challenge: "abc", origin: origin)
        #expect(String(decoding: clientData.bytes, as: UTF8.self)
                    == #"{"type":"key.create","challenge":"abc","origin":"https://app.example.com","crossOrigin":false}"#)
    }

    @Test(arguments: [COSEAlgorithm.es256, .edDSA, .rs256])
    func keyCredentialSignsItsFingerprint(_ algorithm: COSEAlgorithm) throws {
        let credential = try DfnsKeyCredential.make(challenge: "abc", origin: origin, algorithm: algorithm)
        let info = credential.credentialInfo
        let clientDataText = try #require(info["clientData"]?.stringValue)
        let attestationText = try #require(info["attestationData"]?.stringValue)
        let clientData = try #require(Base64.urlDecode(clientDataText))
        let attestationBytes = try #require(Base64.urlDecode(attestationText))
        let attestation = try JSONParser.parse(attestationBytes)
        let pem = try #require(attestation["publicKey"]?.stringValue)
        let signatureHex = try #require(attestation["signature"]?.stringValue)
        let signature = try #require(Hex.decode(signatureHex))
        let fingerprint = #"{"clientDataHash":""# + SHA256.hex(clientData) + #"","publicKey":"# + JSONValue.string(pem).serialized(.compact) + "}"
        let spki = try #require(PEM.decode(pem, label: "PUBLIC KEY"))
        let publicKey = try PublicKey(spkiDER: spki)
        #expect(publicKey.isValidSignature(signature, for: Array(fingerprint.utf8)))
    }

    @Test func challengeErrorsNameTheMember() throws {
        let json = try JSONParser.parse(#"{"user": {"id": "us-1", "name": "a"}, "challenge": "c", "supportedCredentialKinds": {}}"#)
        #expect(throws: DfnsError.malformed("challenge.supportedCredentialKinds.firstFactor is missing")) {
            try DfnsRegistrationChallenge(json: json)
        }
    }
}
