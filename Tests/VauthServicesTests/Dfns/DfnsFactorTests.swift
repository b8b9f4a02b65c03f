import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthServices
import VauthWebAuthn

/// Password, Totp and PasswordProtectedKey next to the code: the bodies' exact shapes, what is
/// staged, which factor the signer picks. The interop suite (test_dfns_factors.py) runs the same
/// against the stand-in, which verifies every body with pyotp and pyca/cryptography.
struct DfnsFactorTests {
    let origin = try! Origin("https://app.example.com")
    let now: Int64 = 1_700_000_000_000
    let otpUrl = "otpauth://totp/App:alice%40example.com?secret=JBSWY3DPEHPK3PXP&issuer=App&algorithm=SHA256&digits=8&period=60"

    func maker(_ base: InMemoryCredentialStore) throws -> DfnsCredentialMaker {
        let staged = StagedCredentialStore(base: base)
        let identity = try AuthenticatorIdentity.generate(now: now / 1000)
        let client = WebAuthnClient(authenticator: Authenticator(identity: identity, store: staged))
        return DfnsCredentialMaker(origin: origin, client: client, staged: staged, keyAlgorithm: .edDSA, now: now)
    }

    func challenge(first: String = #"["Key", "Password", "PasswordProtectedKey"]"#, second: String = #"["Totp", "Key"]"#,
                   otp: Bool = true) throws -> DfnsRegistrationChallenge {
        try DfnsRegistrationChallenge(json: try JSONParser.parse("""
            {"user": {"id": "us-1", "name": "Alice@example.com"}, "challenge": "c2hhbGxlbmdl",
             "supportedCredentialKinds": {"firstFactor": \(first), "secondFactor": \(second)}\(otp ? #", "otpUrl": "\#(otpUrl)""# : "")}
            """))
    }

    var password: DfnsPassword { try! DfnsPassword(SecretBytes(Array("correct horse".utf8)), source: "test") }

    @Test func passwordProtectedKeyWithTotpSecondFactor() throws {
        let made = try maker(InMemoryCredentialStore()).make(for: try challenge(), firstFactor: .passwordProtectedKey, secondFactor: .totp, recovery: false,
                                        password: password)
        let first = try #require(made.body["firstFactorCredential"])
        #expect(first["credentialKind"] == "PasswordProtectedKey" && !made.carriesPassword)
        let encrypted = try #require(first["encryptedPrivateKey"]?.stringValue)
        // The blob opens with the password and the (trimmed, lower-cased) username to the staged key, P-256 whatever keyAlgorithm says.
        let key = try DfnsKeyEncryption.decrypt(encrypted, under: .password(password), username: " alice@EXAMPLE.com")
        #expect(key.algorithm == .es256)
        let second = try #require(made.body["secondFactorCredential"])
        let expected = try OneTimePassword(uri: otpUrl).code(at: now / 1000)
        #expect(second == ["credentialKind": "Totp", "credentialInfo": ["otpCode": .string(expected)]] && expected.count == 8)
    }

    @Test func stagedRecordsHoldTheRightSecrets() throws {
        let base = InMemoryCredentialStore()
        let maker = try maker(base)
        _ = try maker.make(for: try challenge(), firstFactor: .passwordProtectedKey, secondFactor: .totp, recovery: false,
                           password: password, keepPassword: true)
        try maker.staged.commit()
        let records = base.allCredentials()
        #expect(Set(records.map(\.kind)) == [.passwordProtectedKey, .totp, .password])
        #expect(records.allSatisfy { $0.rpId == "https://app.example.com" && $0.user.name == "Alice@example.com" })
        let totp = try #require(records.first { $0.kind == .totp })
        #expect(try DfnsTotpCredential.generator(totp).uri == (try OneTimePassword(uri: otpUrl)).uri)
        let kept = try #require(try DfnsPassword.kept(in: records, origin: origin, username: nil))
        #expect(kept.bytes.constantTimeEquals(password.bytes))
    }

    @Test func passwordBodyCarriesThePassword() throws {
        let made = try maker(InMemoryCredentialStore()).make(for: try challenge(), firstFactor: .password, recovery: false, password: password)
        #expect(made.body["firstFactorCredential"] == ["credentialKind": "Password", "credentialInfo": ["password": "correct horse"]])
        #expect(made.carriesPassword && made.firstFactorId.isEmpty)
    }

    @Test func refusals() throws {
        let maker = try maker(InMemoryCredentialStore())
        #expect(throws: DfnsError.malformed("a Password credential needs the password: --password-file FILE or $VAUTH_DFNS_PASSWORD")) {
            try maker.make(for: try challenge(), firstFactor: .password, recovery: false)
        }
        #expect(throws: DfnsError.malformed("a Totp is a second factor only (the SDK's first factors are Key, Fido2, Password and PasswordProtectedKey)")) {
            try maker.make(for: try challenge(), firstFactor: .totp, recovery: false)
        }
        #expect(throws: DfnsError.refused("the challenge's supportedCredentialKinds.secondFactor (Key) does not include Totp")) {
            try maker.make(for: try challenge(second: #"["Key"]"#), firstFactor: .key, secondFactor: .totp, recovery: false)
        }
        #expect(throws: DfnsError.self) { try maker.make(for: try challenge(otp: false), firstFactor: .key, secondFactor: .totp, recovery: false) }
        #expect(!maker.staged.hasChanges)
    }

    func loginChallenge(requiresSecond: Bool, ppk: (id: String, blob: String)? = nil, keyId: String? = nil) throws -> DfnsActionChallenge {
        let ppkList = ppk.map { #"[{"type": "public-key", "id": "\#($0.id)", "encryptedPrivateKey": "\#($0.blob)"}]"# } ?? "[]"
        let keyList = keyId.map { #"[{"type": "public-key", "id": "\#($0)"}]"# } ?? "[]"
        return try DfnsActionChallenge(json: try JSONParser.parse("""
            {"challenge": "Y2hhbGxlbmdl", "challengeIdentifier": "ch-1",
             "supportedCredentialKinds": [{"kind": "PasswordProtectedKey", "factor": "first", "requiresSecondFactor": \(requiresSecond)},
                                          {"kind": "Key", "factor": "first", "requiresSecondFactor": \(requiresSecond)},
                                          {"kind": "Totp", "factor": "second", "requiresSecondFactor": false}],
             "allowCredentials": {"key": \(keyList), "webauthn": [], "passwordProtectedKey": \(ppkList)}}
            """))
    }

    @Test func signerOpensAPasswordProtectedKeyAndAddsTheRequiredTotp() throws {
        let key = try SigningKey.generate(.es256)
        let blob = try DfnsKeyEncryption.encrypt(pkcs8: try key.pkcs8DER(), under: .password(password), username: "alice@example.com")
        let totp = try DfnsTotpCredential.record(try OneTimePassword(uri: otpUrl), user: .init(id: "us-1", name: "alice@example.com",
                                                                                              displayName: "Alice"), origin: origin, now: now)
        let signer = DfnsActionSigner(origin: origin, rpId: nil, client: nil, lookup: { _ in nil }, records: { [totp] })
        let signed = try signer.sign(try loginChallenge(requiresSecond: true, ppk: ("cHBr", blob)),
                                     factors: .init(password: password, username: "alice@example.com", now: 1_700_000_000))
        #expect(signed.body["firstFactor"]?["kind"] == "PasswordProtectedKey")
        #expect(signed.body["firstFactor"]?["credentialAssertion"]?["credId"] == "cHBr")
        let expected = try OneTimePassword(uri: otpUrl).code(at: 1_700_000_000)
        #expect(signed.body["secondFactor"] == ["kind": "Totp", "otpCode": .string(expected)])
        // Without the second factor at hand, a challenge that requires one is refused.
        let bare = DfnsActionSigner(origin: origin, rpId: nil, client: nil, lookup: { _ in nil })
        #expect(throws: DfnsError.self) {
            try bare.sign(try loginChallenge(requiresSecond: true, ppk: ("cHBr", blob)), factors: .init(password: password, username: "alice@example.com"))
        }
        // A wrong password does not open the key.
        let wrong = try DfnsPassword(SecretBytes(Array("wrong horse".utf8)), source: "test")
        #expect(throws: DfnsError.self) {
            try bare.sign(try loginChallenge(requiresSecond: false, ppk: ("cHBr", blob)), factors: .init(password: wrong, username: "alice@example.com"))
        }
    }
}
