import Testing
import VauthCrypto
@testable import VauthWebAuthn

struct OptionsParsingTests {
    /// What py_webauthn's `options_to_json` produces, plus members vauth does not know.
    let creationJSON = """
    {"rp": {"name": "Example", "id": "example.com"},
     "user": {"id": "AQIDBA", "name": "alice@example.com", "displayName": "Alice"},
     "challenge": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
     "pubKeyCredParams": [{"type": "public-key", "alg": -8}, {"type": "public-key", "alg": -7}, {"type": "public-key", "alg": -257}],
     "timeout": 60000,
     "excludeCredentials": [{"type": "public-key", "id": "AAAA", "transports": ["usb", "hybrid"]}],
     "authenticatorSelection": {"residentKey": "required", "requireResidentKey": true, "userVerification": "discouraged",
                                "authenticatorAttachment": "cross-platform"},
     "attestation": "direct", "hints": ["security-key"], "attestationFormats": ["packed"],
     "extensions": {"credProps": true, "credentialProtectionPolicy": "userVerificationRequired",
                    "prf": {"eval": {"first": "AQ", "second": "Ag=="}}, "largeBlob": {"support": "preferred"}},
     "somethingNew": {"ignored": true}}
    """

    @Test func parsesCreationOptions() throws {
        let options = try PublicKeyCredentialCreationOptions(json: creationJSON)
        #expect(options.rp == PublicKeyCredentialRpEntity(id: "example.com", name: "Example"))
        #expect(options.user == PublicKeyCredentialUserEntity(id: [1, 2, 3, 4], name: "alice@example.com", displayName: "Alice"))
        #expect(options.challenge == Array(0..<32))
        #expect(options.pubKeyCredParams.map(\.alg) == [-8, -7, -257])
        #expect(options.timeout == 60000)
        #expect(options.excludeCredentials == [PublicKeyCredentialDescriptor(id: [0, 0, 0], transports: ["usb", "hybrid"])])
        #expect(options.authenticatorSelection == AuthenticatorSelectionCriteria(
            authenticatorAttachment: .crossPlatform, residentKey: .required, requireResidentKey: true, userVerification: .discouraged))
        #expect(options.attestation == .direct)
        #expect(options.hints == ["security-key"])
        #expect(options.attestationFormats == ["packed"])
        var extensions = RegistrationExtensionInputs()
        extensions.credProps = true
        extensions.credentialProtectionPolicy = .userVerificationRequired
        extensions.prf = PRFInputs(eval: PRFValues(first: [1], second: [2]))
        extensions.largeBlob = LargeBlobInputs(support: "preferred")
        #expect(options.extensions == extensions)
    }

    @Test func acceptsThePublicKeyWrapperAndAppliesDefaults() throws {
        let options = try PublicKeyCredentialCreationOptions(json: """
        {"publicKey": {"rp": {"name": "X"}, "user": {"id": "AQ", "name": "a", "displayName": "A"},
                       "challenge": "AAAA", "pubKeyCredParams": [], "attestation": "someday", "timeout": null,
                       "authenticatorSelection": {"residentKey": "whatever", "userVerification": "sometimes"}},
         "mediation": "conditional"}
        """)
        #expect(options.rp.id == nil)
        #expect(options.attestation == .none, "unknown enumeration values are ignored")
        #expect(options.authenticatorSelection?.residentKey == nil)
        #expect(options.authenticatorSelection?.userVerification == .preferred)
        #expect(options.authenticatorSelection?.effectiveResidentKey == .discouraged)
        #expect(options.timeout == nil)
        #expect(options.excludeCredentials.isEmpty)
        let request = try PublicKeyCredentialRequestOptions(json: #"{"publicKey": {"challenge": "AAAA"}}"#)
        #expect(request.challenge == [0, 0, 0])
        #expect(request.rpId == nil)
        #expect(request.allowCredentials.isEmpty)
        #expect(request.userVerification == .preferred)
    }

    @Test func requireResidentKeyAppliesWhenResidentKeyIsAbsent() throws {
        let selection = try PublicKeyCredentialCreationOptions(json: """
        {"rp": {"name": "X"}, "user": {"id": "AQ", "name": "a", "displayName": "A"}, "challenge": "AAAA",
         "pubKeyCredParams": [], "authenticatorSelection": {"requireResidentKey": true}}
        """).authenticatorSelection
        #expect(selection?.effectiveResidentKey == .required)
    }

    @Test func parsesRequestOptions() throws {
        let options = try PublicKeyCredentialRequestOptions(json: """
        {"challenge": "AQID", "timeout": 1000, "rpId": "example.com", "userVerification": "required",
         "allowCredentials": [{"type": "public-key", "id": "qrvM"}],
         "extensions": {"prf": {"eval": {"first": "AQ"}, "evalByCredential": {"qrvM": {"first": "Ag"}}}, "appid": "https://x"}}
        """)
        #expect(options.challenge == [1, 2, 3])
        #expect(options.rpId == "example.com")
        #expect(options.userVerification == .required)
        #expect(options.allowCredentials == [PublicKeyCredentialDescriptor(id: [0xaa, 0xbb, 0xcc])])
        #expect(options.extensions.prf == PRFInputs(eval: PRFValues(first: [1]), evalByCredential: ["qrvM": PRFValues(first: [2])]))
    }

    private let validUser = #""user": {"id": "AQ", "name": "a", "displayName": "A"}"#
    private let base = #""rp": {"name": "X"}, "challenge": "AAAA", "pubKeyCredParams": []"#

    @Test func creationErrorsNameTheMember() {
        let cases: [(String, WebAuthnClientError.Kind, String)] = [
            ("{", .syntax, "malformed JSON at byte 1: expected a member name in double quotes"),
            ("[]", .syntax, "options must be a JSON object, not an array"),
            (#"{"publicKey": {\#(base.replacing(#""challenge": "AAAA", "#, with: "")), \#(validUser)}}"#,
             .syntax, "missing member publicKey.challenge"),
            (#"{\#(base), \#(validUser.replacing("\"AQ\"", with: "\"\""))}"#, .type, "user.id must be 1 to 64 bytes, not 0"),
            (#"{\#(base), "user": {"id": "\#(Base64.urlEncode([UInt8](repeating: 7, count: 65)))", "name": "a", "displayName": "A"}}"#,
             .type, "user.id must be 1 to 64 bytes, not 65"),
            (#"{\#(base), "user": {"id": "AQ+/", "name": "a", "displayName": "A"}}"#, .syntax, "user.id is not base64url"),
            (#"{\#(base), "user": {"id": "AQ", "name": "a"}}"#, .syntax, "missing member user.displayName"),
            (#"{\#(base), "user": {"id": 5, "name": "a", "displayName": "A"}}"#, .syntax, "user.id must be a string, not a number"),
            (#"{\#(base), \#(validUser), "excludeCredentials": [{"type": "public-key", "id": "AA"}, {"type": "public-key", "id": "AA"}, {"type": "public-key", "id": "A"}]}"#,
             .syntax, "excludeCredentials[2].id is not base64url"),
            (#"{"rp": {"name": "X"}, "challenge": "AAAA", "pubKeyCredParams": [{"type": "public-key", "alg": 1.5}], \#(validUser)}"#,
             .syntax, "pubKeyCredParams[0].alg must be an integer from -2147483648 to 2147483647"),
            (#"{"rp": {"name": "X"}, "challenge": "AAAA", "pubKeyCredParams": {}, \#(validUser)}"#,
             .syntax, "pubKeyCredParams must be an array, not an object"),
            (#"{\#(base), \#(validUser), "extensions": {"credProps": "yes"}}"#, .syntax, "extensions.credProps must be a boolean, not a string"),
            (#"{\#(base), \#(validUser), "extensions": {"prf": {"eval": {"first": "*"}}}}"#, .syntax, "extensions.prf.eval.first is not base64url"),
            (#"{\#(base), \#(validUser), "rp": {"id": "example.com"}}"#, .syntax, "missing member rp.name"),
        ]
        for (json, kind, message) in cases {
            let error = clientError { _ = try PublicKeyCredentialCreationOptions(json: json) }
            #expect(error?.kind == kind, "\(json)")
            #expect(error?.message == message, "\(json)")
        }
    }

    @Test func requestErrorsNameTheMember() {
        let cases: [(String, String)] = [
            (#"{"rpId": "example.com"}"#, "missing member challenge"),
            (#"{"publicKey": {"challenge": "AA=A"}}"#, "publicKey.challenge is not base64url"),
            (#"{"challenge": "AAAA", "allowCredentials": [{"type": "public-key"}]}"#, "missing member allowCredentials[0].id"),
            (#"{"challenge": "AAAA", "rpId": 7}"#, "rpId must be a string, not a number"),
            (#"{"challenge": "AAAA", "extensions": {"prf": {"evalByCredential": {"AA": {}}}}}"#,
             "missing member extensions.prf.evalByCredential.AA.first"),
        ]
        for (json, message) in cases {
            let error = clientError { _ = try PublicKeyCredentialRequestOptions(json: json) }
            #expect(error?.kind == .syntax, "\(json)")
            #expect(error?.message == message, "\(json)")
        }
    }

    /// Mutated documents and origins only ever give errors, never a crash (a seeded generator
    /// keeps failures reproducible).
    @Test func mutatedInputsNeverCrash() {
        var state: UInt64 = 0x5EED
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        let seeds = [Array(creationJSON.utf8), Array(#"{"challenge":"AQID","allowCredentials":[{"type":"public-key","id":"qrvM"}],"extensions":{"prf":{"eval":{"first":"AQ"}}}}"#.utf8)]
        let alphabet = Array(#"{}[]",:\u0123456789-+.eE tfnaxé"#.utf8) + [0x00, 0x7f, 0xc3, 0xff]
        for round in 0..<3000 {
            var bytes = seeds[round % 2]
            for _ in 0...(next() % 4) {
                let position = next() % bytes.count
                switch next() % 3 {
                case 0: bytes[position] = alphabet[next() % alphabet.count]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[next() % alphabet.count], at: position)
                }
            }
            if let value = try? JSONParser.parse(bytes) {
                _ = try? PublicKeyCredentialCreationOptions(json: value)
                _ = try? PublicKeyCredentialRequestOptions(json: value)
                _ = value.serialized(.compact)
            }
            _ = try? Origin(String(decoding: bytes.prefix(40), as: UTF8.self))
        }
    }
}
