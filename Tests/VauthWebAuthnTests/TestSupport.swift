import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
@testable import VauthWebAuthn

/// One attestation identity for the whole run: a CA per test would only slow things down.
let sharedIdentity: AuthenticatorIdentity = try! AuthenticatorIdentity.generate(now: 1_750_000_000)

/// The system Public Suffix List, read once.
let systemList: PublicSuffixList = try! PublicSuffixList.system()

func makeAuthenticator(_ policy: AuthenticatorPolicy = .init(), store: any CredentialStore = InMemoryCredentialStore()) -> Authenticator {
    var tick: Int64 = 1_750_000_000_000
    return Authenticator(identity: sharedIdentity, policy: policy, store: store, clock: {
        tick += 1
        return tick
    })
}

func makeClient(_ policy: AuthenticatorPolicy = .init(), store: any CredentialStore = InMemoryCredentialStore(),
                configuration: ClientConfiguration = .init()) -> WebAuthnClient {
    WebAuthnClient(authenticator: makeAuthenticator(policy, store: store), configuration: configuration, publicSuffixList: systemList)
}

let exampleOrigin = try! Origin("https://login.example.com")
let challengeBytes: [UInt8] = Array(0..<32)

/// Creation options for example.com, with overrides as JSON members of `publicKey`.
func creationOptions(algorithms: [Int] = [-7], residentKey: String? = nil, userVerification: String? = nil,
                     attestation: String? = nil, exclude: [[UInt8]] = [], extensions: JSONValue? = nil,
                     rpId: String? = "example.com", userId: [UInt8] = [1, 2, 3, 4]) -> PublicKeyCredentialCreationOptions {
    var selection: [(String, JSONValue)] = []
    if let residentKey { selection.append(("residentKey", .string(residentKey))) }
    if let userVerification { selection.append(("userVerification", .string(userVerification))) }
    var rp: [(String, JSONValue)] = [("name", "Example")]
    if let rpId { rp.append(("id", .string(rpId))) }
    var members: [(String, JSONValue)] = [
        ("rp", .object(rp)),
        ("user", ["id": .string(Base64.urlEncode(userId)), "name": "alice@example.com", "displayName": "Alice"]),
        ("challenge", .string(Base64.urlEncode(challengeBytes))),
        ("pubKeyCredParams", .array(algorithms.map { ["type": "public-key", "alg": .number(Double($0))] })),
        ("authenticatorSelection", .object(selection)),
        ("excludeCredentials", .array(exclude.map { ["type": "public-key", "id": .string(Base64.urlEncode($0))] })),
    ]
    if let attestation { members.append(("attestation", .string(attestation))) }
    if let extensions { members.append(("extensions", extensions)) }
    return try! PublicKeyCredentialCreationOptions(json: .object(members))
}

func requestOptions(allow: [[UInt8]] = [], userVerification: String? = nil, extensions: JSONValue? = nil,
                    rpId: String? = "example.com") -> PublicKeyCredentialRequestOptions {
    var members: [(String, JSONValue)] = [
        ("challenge", .string(Base64.urlEncode(challengeBytes.reversed()))),
        ("allowCredentials", .array(allow.map { ["type": "public-key", "id": .string(Base64.urlEncode($0))] })),
    ]
    if let rpId { members.append(("rpId", .string(rpId))) }
    if let userVerification { members.append(("userVerification", .string(userVerification))) }
    if let extensions { members.append(("extensions", extensions)) }
    return try! PublicKeyCredentialRequestOptions(json: .object(members))
}

/// The parts of a registration an RP checks, decoded the way a verifier would.
struct DecodedRegistration {
    let attestationObject: AttestationObject
    let authenticatorData: AuthenticatorData
    let attested: AttestedCredentialData
    let publicKey: PublicKey

    init(_ response: RegistrationResponseJSON) throws {
        attestationObject = try AttestationObject(encoded: response.attestationObject)
        authenticatorData = try AuthenticatorData(bytes: attestationObject.authenticatorData)
        attested = try #require(authenticatorData.attestedCredentialData)
        publicKey = try PublicKey(coseKey: attested.publicKey)
    }
}

/// Checks an assertion as an RP does: rpIdHash, flags, and the signature.
func verifyAssertion(_ response: AuthenticationResponseJSON, key: PublicKey, rpId: String = "example.com") throws -> AuthenticatorData {
    let data = try AuthenticatorData(bytes: response.authenticatorData)
    #expect(data.rpIdHash == SHA256.hash(Array(rpId.utf8)))
    #expect(data.flags.contains(.userPresent))
    #expect(key.isValidSignature(response.signature, for: response.authenticatorData + SHA256.hash(response.clientDataJSON)))
    return data
}

/// The error a throwing body threw, as a ``WebAuthnClientError``.
func clientError(_ body: () throws -> Void) -> WebAuthnClientError? {
    do {
        try body()
        return nil
    } catch let error as WebAuthnClientError {
        return error
    } catch {
        Issue.record("unexpected error \(error)")
        return nil
    }
}

/// A store whose every operation fails, as a corrupt keystore does.
final class BrokenStore: CredentialStore {
    struct Corrupt: Error, CustomStringConvertible {
        var description: String { "keystore /tmp/x.vauth is corrupt: bad MAC" }
    }

    func credential(id: [UInt8], rpId: String) throws -> CredentialRecord? { throw Corrupt() }
    func discoverableCredentials(rpId: String) throws -> [CredentialSummary] { throw Corrupt() }
    func allCredentials() throws -> [CredentialRecord] { throw Corrupt() }
    func save(_ record: CredentialRecord, replacing: [UInt8]?) throws { throw Corrupt() }
    func updateSignCount(id: [UInt8], to count: UInt32) throws { throw Corrupt() }
    func delete(id: [UInt8]) throws -> Bool { throw Corrupt() }
}
