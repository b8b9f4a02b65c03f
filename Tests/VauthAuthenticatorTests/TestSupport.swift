import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// One identity for the whole test run: generating a CA per test would only slow things down.
let sharedIdentity: AuthenticatorIdentity = try! AuthenticatorIdentity.generate(now: 1_750_000_000)

func makeAuthenticator(_ policy: AuthenticatorPolicy = .init(), store: InMemoryCredentialStore = InMemoryCredentialStore()) -> Authenticator {
    var tick: Int64 = 1_750_000_000_000
    return Authenticator(identity: sharedIdentity, policy: policy, store: store, clock: {
        tick += 1
        return tick
    })
}

let exampleHash = SHA256.hash(Array("client data".utf8))

func makeRequest(rpId: String = "example.com", userId: [UInt8] = [1, 2, 3], algorithms: [Int] = [-7], rk: Bool = false,
                 uv: Bool = false, exclude: [[UInt8]] = [], extensions: MakeCredentialExtensionInputs = .init()) -> MakeCredentialRequest {
    MakeCredentialRequest(clientDataHash: exampleHash, rp: RelyingPartyEntity(id: rpId, name: "Example"),
                          user: UserEntity(id: userId, name: "alice@example.com", displayName: "Alice"),
                          pubKeyCredParams: algorithms.map { CredentialParameter(algorithm: $0) },
                          excludeList: exclude.map { CredentialDescriptor(id: $0) }, extensions: extensions,
                          // A discoverable credential needs UV on an authenticator with built-in UV (CTAP 2.2 §6.1.2 step 7).
                          residentKey: rk, userVerification: uv || rk)
}

func expectStatus(_ status: CTAPStatus, _ body: () throws -> Void) -> Bool {
    do {
        try body()
        return false
    } catch let error as CTAPError {
        return error.status == status
    } catch {
        return false
    }
}
