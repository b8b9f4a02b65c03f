import Testing
import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// The platform's half of clientPIN (CTAP 2.2 §6.5), written from the spec against the crypto
/// primitives, driving the authenticator through its byte-level front door.
struct PlatformPIN {
    let auth: Authenticator
    let pinUvAuthProtocol: PinUvAuthProtocol

    func call(_ request: ClientPINRequest) -> (status: CTAPStatus, response: CBORValue?) {
        let bytes = auth.handle([0x06] + request.cborValue.encoded)
        let status = CTAPStatus(rawValue: bytes[0])
        return (status, bytes.count > 1 ? try? CBORDecoder().decode(bytes.dropFirst()) : nil)
    }

    func agree() throws -> (COSEKey, PinUvAuthProtocol.SharedSecret) {
        let answer = call(ClientPINRequest(pinUvAuthProtocol: pinUvAuthProtocol.rawValue, subCommand: 0x02))
        let key = try COSEKey(cbor: try #require(answer.response?[1]), requireAlgorithm: false)
        return try pinUvAuthProtocol.encapsulate(authenticatorKey: key)
    }

    static func padded(_ pin: String) -> [UInt8] {
        let bytes = Array(pin.utf8)
        return bytes + [UInt8](repeating: 0, count: max(0, 64 - bytes.count))
    }

    func setPIN(_ pin: String) throws -> CTAPStatus {
        let (key, secret) = try agree()
        let newPinEnc = try secret.encrypt(Self.padded(pin))
        return call(ClientPINRequest(pinUvAuthProtocol: pinUvAuthProtocol.rawValue, subCommand: 0x03, keyAgreement: key,
                                     pinUvAuthParam: secret.authenticate(newPinEnc), newPinEnc: newPinEnc)).status
    }

    func changePIN(from old: String, to new: String) throws -> CTAPStatus {
        let (key, secret) = try agree()
        let newPinEnc = try secret.encrypt(Self.padded(new))
        let pinHashEnc = try secret.encrypt(Array(SHA256.hash(Array(old.utf8)).prefix(16)))
        return call(ClientPINRequest(pinUvAuthProtocol: pinUvAuthProtocol.rawValue, subCommand: 0x04, keyAgreement: key,
                                     pinUvAuthParam: secret.authenticate(newPinEnc + pinHashEnc), newPinEnc: newPinEnc,
                                     pinHashEnc: pinHashEnc)).status
    }

    /// getPinUvAuthTokenUsingPinWithPermissions, or getPinToken when `permissions` is nil.
    func token(_ pin: String, permissions: PinUvAuthPermissions? = nil, rpId: String? = nil) throws -> (CTAPStatus, [UInt8]?) {
        let (key, secret) = try agree()
        let pinHashEnc = try secret.encrypt(Array(SHA256.hash(Array(pin.utf8)).prefix(16)))
        let answer = call(ClientPINRequest(pinUvAuthProtocol: pinUvAuthProtocol.rawValue, subCommand: permissions == nil ? 0x05 : 0x09,
                                           keyAgreement: key, pinHashEnc: pinHashEnc, permissions: permissions?.rawValue, rpId: rpId))
        guard let encrypted = answer.response?[2]?.bytesValue else { return (answer.status, nil) }
        return (answer.status, try secret.decrypt(encrypted).exposedCopy())
    }

    func retries() -> Int? { call(ClientPINRequest(pinUvAuthProtocol: nil, subCommand: 0x01)).response?[3]?.intValue }

    /// authenticate(pinUvAuthToken, message) of this protocol.
    func param(_ token: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let mac = HMACSHA256.authenticate(message, key: token)
        return pinUvAuthProtocol == .one ? Array(mac.prefix(16)) : mac
    }
}

struct ClientPINTests {
    static func noBuiltInUV(_ store: InMemoryCredentialStore = InMemoryCredentialStore()) -> Authenticator {
        makeAuthenticator(.init(userVerification: .unsupported), store: store)
    }

    @Test(arguments: PinUvAuthProtocol.allCases)
    func setPINThenTokensGateMakeCredential(protocol number: PinUvAuthProtocol) throws {
        let auth = Self.noBuiltInUV()
        let platform = PlatformPIN(auth: auth, pinUvAuthProtocol: number)
        #expect(try platform.token("1234").0 == .pinNotSet)
        #expect(try platform.setPIN("123") == .pinPolicyViolation, "shorter than the minimum of 4")
        #expect(try platform.setPIN(String(repeating: "A", count: 64)) == .pinPolicyViolation, "longer than 63 bytes")
        #expect(try platform.setPIN("1234") == .ok)
        #expect(try platform.setPIN("5678") == .notAllowed, "a PIN is already set")
        #expect(auth.getInfo().options["clientPin"] == true)
        #expect(auth.getInfo().options["makeCredUvNotRqd"] == nil)
        #expect(platform.retries() == 8)

        // With a PIN, makeCredential needs a pinUvAuthParam (CTAP 2.2 §6.1.2 step 8).
        #expect(auth.handle([0x01] + makeRequest().cborValue.encoded) == [CTAPStatus.puatRequired.rawValue])
        var zeroLength = makeRequest()
        zeroLength.pinUvAuthParam = []
        #expect(auth.handle([0x01] + zeroLength.cborValue.encoded) == [CTAPStatus.pinInvalid.rawValue])

        let (status, token) = try platform.token("1234", permissions: [.makeCredential], rpId: "example.com")
        #expect(status == .ok)
        var request = makeRequest()
        request.pinUvAuthProtocol = number.rawValue
        request.pinUvAuthParam = platform.param(try #require(token), exampleHash)
        let made = auth.handle([0x01] + request.cborValue.encoded)
        #expect(made.first == 0)
        let response = try MakeCredentialResponse(cbor: try CBORDecoder().decode(made.dropFirst()))
        #expect(response.authenticatorData.flags.contains(.userVerified))

        // The token is bound to example.com and lacks ga.
        var otherRP = makeRequest(rpId: "other.example")
        otherRP.pinUvAuthProtocol = number.rawValue
        otherRP.pinUvAuthParam = request.pinUvAuthParam
        #expect(auth.handle([0x01] + otherRP.cborValue.encoded) == [CTAPStatus.pinAuthInvalid.rawValue])
        let assertion = GetAssertionRequest(rpId: "example.com", clientDataHash: exampleHash,
                                            allowList: [CredentialDescriptor(id: try #require(response.authenticatorData.attestedCredentialData).credentialId)],
                                            pinUvAuthParam: request.pinUvAuthParam, pinUvAuthProtocol: number.rawValue)
        #expect(auth.handle([0x02] + assertion.cborValue.encoded) == [CTAPStatus.pinAuthInvalid.rawValue])
        // A wrong pinUvAuthParam.
        request.pinUvAuthParam = platform.param([UInt8](repeating: 7, count: 32), exampleHash)
        #expect(auth.handle([0x01] + request.cborValue.encoded) == [CTAPStatus.pinAuthInvalid.rawValue])
        // Without UV an assertion still works, without the UV flag.
        var plain = assertion
        plain.pinUvAuthParam = nil
        plain.pinUvAuthProtocol = nil
        let asserted = auth.handle([0x02] + plain.cborValue.encoded)
        #expect(asserted.first == 0)
        #expect(try GetAssertionResponse(cbor: try CBORDecoder().decode(asserted.dropFirst())).authenticatorData.flags.contains(.userVerified) == false)
    }

    @Test func wrongPINsCountDownBlockPerPowerCycleAndPersist() throws {
        let pinStore = InMemoryPINStateStore()
        var auth = Self.noBuiltInUV()
        auth.pinStore = pinStore
        var platform = PlatformPIN(auth: auth, pinUvAuthProtocol: .two)
        #expect(try platform.setPIN("correct horse") == .ok)
        #expect(try platform.token("wrong").0 == .pinInvalid)
        #expect(try platform.token("wrong").0 == .pinInvalid)
        #expect(try platform.token("wrong").0 == .pinAuthBlocked, "the third in a row")
        #expect(try platform.token("correct horse").0 == .pinAuthBlocked, "until a power cycle")
        #expect(platform.retries() == 5)
        #expect(platform.call(ClientPINRequest(pinUvAuthProtocol: nil, subCommand: 1)).response?[4] == true)
        auth.powerCycle()
        #expect(try platform.token("correct horse").0 == .ok)
        #expect(platform.retries() == 8, "a correct PIN restores the counter")

        for expected in [7, 6] {
            #expect(try platform.token("wrong").0 == .pinInvalid)
            #expect(platform.retries() == expected)
        }
        // "Restart": a new authenticator over the same PIN store keeps the count.
        auth = Self.noBuiltInUV()
        auth.pinStore = pinStore
        platform = PlatformPIN(auth: auth, pinUvAuthProtocol: .one)
        #expect(platform.retries() == 6)
        var results: [CTAPStatus] = []
        for _ in 0..<6 {
            results.append(try platform.token("wrong").0)
            if results.last == .pinAuthBlocked { auth.powerCycle() }
        }
        #expect(results == [.pinInvalid, .pinInvalid, .pinAuthBlocked, .pinInvalid, .pinInvalid, .pinBlocked])
        #expect(platform.retries() == 0)
        #expect(try platform.token("correct horse").0 == .pinBlocked)
        #expect(try platform.changePIN(from: "correct horse", to: "battery") == .pinBlocked)
    }

    @Test func changePINRevokesTokensAndChecksTheOldPIN() throws {
        let auth = Self.noBuiltInUV()
        let platform = PlatformPIN(auth: auth, pinUvAuthProtocol: .two)
        #expect(try platform.changePIN(from: "1234", to: "5678") == .pinNotSet)
        #expect(try platform.setPIN("1234") == .ok)
        let token = try #require(try platform.token("1234").1)
        #expect(try platform.changePIN(from: "0000", to: "5678") == .pinInvalid)
        #expect(try platform.changePIN(from: "1234", to: "56") == .pinPolicyViolation)
        #expect(try platform.changePIN(from: "1234", to: "5678") == .ok)
        var request = makeRequest()
        request.pinUvAuthProtocol = 2
        request.pinUvAuthParam = platform.param(token, exampleHash)
        #expect(auth.handle([0x01] + request.cborValue.encoded) == [CTAPStatus.pinAuthInvalid.rawValue], "old token revoked")
        #expect(try platform.token("1234").0 == .pinInvalid)
        #expect(try platform.token("5678").0 == .ok)
    }

    @Test func permissionsAreChecked() throws {
        let auth = Self.noBuiltInUV()
        let platform = PlatformPIN(auth: auth, pinUvAuthProtocol: .two)
        #expect(try platform.setPIN("1234") == .ok)
        #expect(try platform.token("1234", permissions: [.bioEnrollment]).0 == .unauthorizedPermission)
        #expect(try platform.token("1234", permissions: [.makeCredential]).0 == .missingParameter, "mc needs an rpId")
        #expect(try platform.token("1234", permissions: PinUvAuthPermissions(rawValue: 0)).0 == .invalidParameter)
        #expect(platform.call(ClientPINRequest(pinUvAuthProtocol: 3, subCommand: 2)).status == .invalidParameter)
    }

    @Test func credentialManagementEnumeratesUpdatesAndDeletes() throws {
        let store = InMemoryCredentialStore()
        let auth = Self.noBuiltInUV(store)
        let platform = PlatformPIN(auth: auth, pinUvAuthProtocol: .two)
        // Discoverable credentials need UV once a PIN is set, so make them first.
        for (rp, user) in [("a.example", 1), ("b.example", 2), ("b.example", 3)] {
            var request = makeRequest(rpId: rp, userId: [UInt8(user)], rk: false)
            request.residentKey = true
            #expect(auth.handle([0x01] + request.cborValue.encoded).first == 0)
        }
        #expect(try platform.setPIN("1234") == .ok)
        let token = try #require(try platform.token("1234", permissions: [.credentialManagement]).1)
        func call(_ sub: Int, _ params: CBORValue? = nil, sign: Bool = true) -> (UInt8, CBORValue?) {
            var request = CredentialManagementRequest(subCommand: sub, subCommandParams: params)
            if sign {
                request.pinUvAuthProtocol = 2
                request.pinUvAuthParam = platform.param(token, [UInt8(sub)] + (params?.encoded ?? []))
            }
            let bytes = auth.handle([0x0A] + request.cborValue.encoded)
            return (bytes[0], bytes.count > 1 ? try? CBORDecoder().decode(bytes.dropFirst()) : nil)
        }
        #expect(call(1, sign: false).0 == CTAPStatus.puatRequired.rawValue)
        #expect(call(1).1?[1] == 3)
        let first = call(2)
        #expect(first.1?[5] == 2)
        #expect(first.1?[3]?["id"] == "a.example")
        #expect(call(3).1?[3]?["id"] == "b.example")
        #expect(call(3).0 == CTAPStatus.notAllowed.rawValue)
        let b: CBORValue = [1: .bytes(SHA256.hash(Array("b.example".utf8)))]
        let credential = call(4, b)
        #expect(credential.1?[9] == 2)
        #expect(credential.1?[8]?[3] == -7)
        let id = try #require(credential.1?[7]?["id"]?.bytesValue)
        let userId = try #require(credential.1?[6]?["id"])
        #expect(call(5).0 == 0)
        let update: CBORValue = [2: ["type": "public-key", "id": .bytes(id)], 3: ["id": userId, "name": "renamed"]]
        #expect(call(7, update).0 == 0)
        #expect(store.credential(id: id)?.user.name == "renamed")
        #expect(call(7, [2: ["type": "public-key", "id": .bytes(id)], 3: ["id": .bytes([9])]]).0 == CTAPStatus.invalidParameter.rawValue)
        #expect(call(6, [2: ["type": "public-key", "id": .bytes(id)]]).0 == 0)
        #expect(call(6, [2: ["type": "public-key", "id": .bytes(id)]]).0 == CTAPStatus.noCredentials.rawValue)
        #expect(call(1).1?[1] == 2)
    }

    @Test func resetNeedsPermissionAndWipesCredentialsAndPIN() throws {
        let store = InMemoryCredentialStore()
        let auth = Self.noBuiltInUV(store)
        #expect(auth.handle([0x01] + makeRequest().cborValue.encoded).first == 0)
        #expect(try PlatformPIN(auth: auth, pinUvAuthProtocol: .one).setPIN("1234") == .ok)
        #expect(auth.handle([0x07]) == [CTAPStatus.operationDenied.rawValue])
        #expect(store.allCredentials().count == 1)
        auth.allowsReset = true
        #expect(auth.handle([0x07]) == [0])
        #expect(store.allCredentials().isEmpty)
        #expect(auth.getInfo().options["clientPin"] == false)
    }

    @Test func setMinPINLengthForcesAChange() throws {
        let auth = Self.noBuiltInUV()
        let platform = PlatformPIN(auth: auth, pinUvAuthProtocol: .two)
        #expect(try platform.setPIN("1234") == .ok)
        let token = try #require(try platform.token("1234", permissions: [.authenticatorConfiguration]).1)
        let params: CBORValue = [1: 6]
        let param = platform.param(token, [UInt8](repeating: 0xFF, count: 32) + [0x0D, 0x03] + params.encoded)
        let config: CBORValue = [1: 3, 2: params, 3: 2, 4: .bytes(param)]
        #expect(auth.handle([0x0D] + CBORValue.map([1: 3, 2: params]).encoded) == [CTAPStatus.puatRequired.rawValue])
        #expect(auth.handle([0x0D] + config.encoded) == [0])
        #expect(auth.getInfo().minPINLength == 6)
        #expect(auth.getInfo().forcePINChange)
        #expect(try platform.token("1234").0 == .pinPolicyViolation)
        #expect(try platform.changePIN(from: "1234", to: "12345") == .pinPolicyViolation)
        #expect(try platform.changePIN(from: "1234", to: "123456") == .ok)
        #expect(try platform.token("123456").0 == .ok)
    }

    @Test func u2fRegisterAndAuthenticate() throws {
        let auth = makeAuthenticator()
        let application = SHA256.hash(Array("example.com".utf8)), challenge = SHA256.hash(Array("c".utf8))
        let registered = auth.handleU2F([0, 1, 0, 0, 64] + challenge + application)
        #expect(registered.suffix(2) == [0x90, 0x00])
        #expect(registered.first == 0x05)
        let point = Array(registered[1..<66])
        let handle = Array(registered[67..<67 + Int(registered[66])])
        let check = auth.handleU2F([0, 2, 7, 0, UInt8(65 + handle.count)] + challenge + application + [UInt8(handle.count)] + handle)
        #expect(check == [0x69, 0x85])
        let signed = auth.handleU2F([0, 2, 3, 0, UInt8(65 + handle.count)] + challenge + application + [UInt8(handle.count)] + handle)
        #expect(signed.suffix(2) == [0x90, 0x00])
        #expect(Array(signed.prefix(5)) == [1, 0, 0, 0, 1])
        let key = try PublicKey(coseKey: .ec2(algorithm: -7, curve: 1, x: Array(point[1..<33]), y: Array(point[33..<65])))
        #expect(key.isValidSignature(Array(signed[5..<(signed.count - 2)]), for: application + Array(signed.prefix(5)) + challenge))
        let otherApp = SHA256.hash(Array("other".utf8))
        #expect(auth.handleU2F([0, 2, 3, 0, UInt8(65 + handle.count)] + challenge + otherApp + [UInt8(handle.count)] + handle) == [0x6A, 0x80])
        #expect(auth.handleU2F([0, 3, 0, 0]) == Array("U2F_V2".utf8) + [0x90, 0])
        #expect(auth.handleU2F([0, 9, 0, 0]) == [0x6D, 0])
        #expect(auth.handleU2F([1, 3, 0, 0]) == [0x6E, 0])
    }
}
