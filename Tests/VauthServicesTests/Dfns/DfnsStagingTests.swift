import Testing
import VauthAuthenticator
import VauthCrypto
@testable import VauthServices
import VauthWebAuthn

/// Dfns ceremonies stage their credentials: nothing reaches the store before the caller commits,
/// and a refused ceremony stages nothing.
struct DfnsStagingTests {
    let origin = try! Origin("https://app.example.com")

    func maker(_ base: InMemoryCredentialStore) throws -> DfnsCredentialMaker {
        let staged = StagedCredentialStore(base: base)
        let identity = try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)
        let client = WebAuthnClient(authenticator: Authenticator(identity: identity, store: staged))
        return DfnsCredentialMaker(origin: origin, client: client, staged: staged, keyAlgorithm: .es256, now: 1_700_000_000_000)
    }

    func challenge(recovery: String? = nil, kinds: String = #"["Fido2", "Key"]"#) throws -> DfnsRegistrationChallenge {
        let allowed = recovery.map { #", "allowedRecoveryCredentials": [{"id": "b2xk", "encryptedRecoveryKey": "\#($0)"}]"# } ?? ""
        return try DfnsRegistrationChallenge(json: try JSONParser.parse("""
            {"user": {"id": "us-1", "name": "alice@example.com"}, "challenge": "c2hhbGxlbmdl", "rp": {"id": "example.com", "name": "Ex"},
             "supportedCredentialKinds": {"firstFactor": \(kinds)}\(allowed)}
            """))
    }

    @Test(arguments: [DfnsCredentialMaker.FirstFactor.key, .fido2])
    func registrationIsStagedUntilCommitted(_ kind: DfnsCredentialMaker.FirstFactor) throws {
        let base = InMemoryCredentialStore()
        let maker = try maker(base)
        let made = try maker.make(for: try challenge(), firstFactor: kind, recovery: true)
        #expect(made.recoveryCode != nil && base.allCredentials().isEmpty && maker.staged.hasChanges)
        try maker.staged.commit()
        #expect(Set(base.allCredentials().map(\.kind)) == [kind == .key ? .key : .webAuthn, .recoveryKey])
    }

    @Test func refusedKindStagesNothing() throws {
        let base = InMemoryCredentialStore()
        let maker = try maker(base)
        #expect(throws: DfnsError.self) { try maker.make(for: try challenge(kinds: #"["Fido2"]"#), firstFactor: .key, recovery: true) }
        #expect(!maker.staged.hasChanges)
    }

    @Test func wrongRecoveryCodeStagesNothing() throws {
        let oldKey = try SigningKey.generate(.es256)
        let code = try DfnsRecoveryCode.generate()
        let encrypted = try DfnsKeyEncryption.encrypt(pkcs8: try oldKey.pkcs8DER(), under: .recoveryCode(code), username: "alice@example.com")
        let base = InMemoryCredentialStore()
        let recovery = DfnsUserRecovery(maker: try maker(base))
        #expect(throws: DfnsError.self) {
            try recovery.recover(try challenge(recovery: encrypted), code: try DfnsRecoveryCode.generate(), username: nil,
                                 firstFactor: .key, newRecovery: true)
        }
        #expect(!recovery.maker.staged.hasChanges)
        let result = try recovery.recover(try challenge(recovery: encrypted), code: code, username: nil, firstFactor: .key, newRecovery: false)
        // The old key signed the new credentials; only the new Key credential is staged.
        let assertion = try #require(result.body["recovery"]?["credentialAssertion"])
        let clientDataText = try #require(assertion["clientData"]?.stringValue)
        let signatureText = try #require(assertion["signature"]?.stringValue)
        let clientData = try #require(Base64.urlDecode(clientDataText))
        let signature = try #require(Base64.urlDecode(signatureText))
        #expect(oldKey.publicKey.isValidSignature(signature, for: clientData))
        try recovery.maker.staged.commit()
        #expect(base.allCredentials().map(\.kind) == [.key])
    }
}
