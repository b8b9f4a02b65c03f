import VauthCBOR
import VauthCrypto

/// The encrypted salt input of hmac-secret and hmac-secret-mc (CTAP 2.2 §12.5, §12.7).
public struct HMACSecretInput: Sendable {
    public var keyAgreement: COSEKey
    public var saltEnc: [UInt8]
    public var saltAuth: [UInt8]
    public var pinUvAuthProtocol: PinUvAuthProtocol

    public init(keyAgreement: COSEKey, saltEnc: [UInt8], saltAuth: [UInt8], pinUvAuthProtocol: PinUvAuthProtocol) {
        self.keyAgreement = keyAgreement
        self.saltEnc = saltEnc
        self.saltAuth = saltAuth
        self.pinUvAuthProtocol = pinUvAuthProtocol
    }

    public var cborValue: CBORValue {
        [1: keyAgreement.cborValue, 2: .bytes(saltEnc), 3: .bytes(saltAuth), 4: .int(pinUvAuthProtocol.rawValue)]
    }

    init(cbor: CBORValue, name: String) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: name)
        let key = try map.required(1, "keyAgreement") { $0 }
        do { keyAgreement = try COSEKey(cbor: key, requireAlgorithm: false) } catch {
            throw CTAPError(.invalidParameter, "\(name).keyAgreement: \(error)")
        }
        saltEnc = try map.required(2, "saltEnc", \.bytesValue)
        saltAuth = try map.required(3, "saltAuth", \.bytesValue)
        // Absent means protocol one (CTAP 2.2 §12.5: pinUvAuthProtocol is optional, default 1).
        let number = try map.optional(4, "pinUvAuthProtocol", \.intValue) ?? 1
        guard let chosen = PinUvAuthProtocol(rawValue: number) else {
            throw CTAPError(.invalidParameter, "\(name): PIN/UV auth protocol \(number) is not supported")
        }
        pinUvAuthProtocol = chosen
    }

    /// The platform side: encrypts one or two 32-byte salts for the authenticator whose key
    /// agreement key is `authenticatorKey`, and keeps the shared secret to decrypt the outputs.
    public static func make(salts: [[UInt8]], authenticatorKey: COSEKey, pinUvAuthProtocol: PinUvAuthProtocol)
        throws(CryptoError) -> (input: HMACSecretInput, sharedSecret: PinUvAuthProtocol.SharedSecret) {
        guard (1...2).contains(salts.count), salts.allSatisfy({ $0.count == 32 }) else {
            throw CryptoError.invalidInput("hmac-secret takes one or two 32-byte salts")
        }
        let (platformKey, secret) = try pinUvAuthProtocol.encapsulate(authenticatorKey: authenticatorKey)
        let saltEnc = try secret.encrypt(salts.flatMap { $0 })
        let input = HMACSecretInput(keyAgreement: platformKey, saltEnc: saltEnc, saltAuth: secret.authenticate(saltEnc),
                                    pinUvAuthProtocol: pinUvAuthProtocol)
        return (input, secret)
    }
}

/// Extension inputs of authenticatorMakeCredential that vauth implements. Others are ignored, as
/// CTAP 2.2 §6.1.2 step 9 says authenticators do with extensions they do not support.
public struct MakeCredentialExtensionInputs: Sendable {
    public var credProtect: CredentialProtection?
    public var hmacSecret: Bool
    /// hmac-secret-mc (CTAP 2.2 §12.7): evaluate the PRF while creating, for WebAuthn prf `eval` at create.
    public var hmacSecretMC: HMACSecretInput?

    public init(credProtect: CredentialProtection? = nil, hmacSecret: Bool = false, hmacSecretMC: HMACSecretInput? = nil) {
        self.credProtect = credProtect
        self.hmacSecret = hmacSecret
        self.hmacSecretMC = hmacSecretMC
    }

    var cborValue: CBORValue? {
        var map: [CBORValue: CBORValue] = [:]
        if let credProtect { map["credProtect"] = .int(credProtect.rawValue) }
        if hmacSecret { map["hmac-secret"] = true }
        if let hmacSecretMC { map["hmac-secret-mc"] = hmacSecretMC.cborValue }
        return map.isEmpty ? nil : .map(map)
    }

    init(cbor: CBORValue?) throws(CTAPError) {
        guard let cbor else {
            self.init()
            return
        }
        let map = try CTAPMap(cbor, context: "extensions")
        var protection: CredentialProtection?
        if let level = try map.optional("credProtect", "credProtect", \.intValue) {
            guard let known = CredentialProtection(rawValue: level) else {
                throw CTAPError(.invalidParameter, "credProtect level \(level) is not 1, 2 or 3")
            }
            protection = known
        }
        let hmacSecret = try map.optional("hmac-secret", "hmac-secret", \.boolValue) ?? false
        var mc: HMACSecretInput?
        if let value = try map.optional("hmac-secret-mc", "hmac-secret-mc", { $0 }) {
            mc = try HMACSecretInput(cbor: value, name: "hmac-secret-mc")
        }
        self.init(credProtect: protection, hmacSecret: hmacSecret, hmacSecretMC: mc)
    }
}

/// Extension inputs of authenticatorGetAssertion that vauth implements.
public struct GetAssertionExtensionInputs: Sendable {
    public var hmacSecret: HMACSecretInput?

    public init(hmacSecret: HMACSecretInput? = nil) {
        self.hmacSecret = hmacSecret
    }

    var cborValue: CBORValue? {
        guard let hmacSecret else { return nil }
        return ["hmac-secret": hmacSecret.cborValue]
    }

    init(cbor: CBORValue?) throws(CTAPError) {
        guard let cbor else {
            self.init()
            return
        }
        let map = try CTAPMap(cbor, context: "extensions")
        var input: HMACSecretInput?
        if let value = try map.optional("hmac-secret", "hmac-secret", { $0 }) {
            input = try HMACSecretInput(cbor: value, name: "hmac-secret")
        }
        self.init(hmacSecret: input)
    }
}

/// The authenticator's half of hmac-secret: check saltAuth, decrypt the salts, HMAC them with the
/// credential's secret, encrypt the outputs (CTAP 2.2 §12.5 "authenticator processing").
enum HMACSecretEvaluation {
    static func evaluate(_ input: HMACSecretInput, keys: HMACSecretKeys, userVerified: Bool,
                         keyAgreementKey: KeyAgreementKey) throws(CTAPError) -> [UInt8] {
        do {
            let z = try keyAgreementKey.sharedSecret(with: input.keyAgreement)
            let secret = try input.pinUvAuthProtocol.sharedSecret(fromZ: z)
            guard secret.verify(input.saltEnc, signature: input.saltAuth) else {
                throw CTAPError(.pinAuthInvalid, "hmac-secret saltAuth does not verify")
            }
            let salts = try secret.decrypt(input.saltEnc).exposedCopy()
            guard salts.count == 32 || salts.count == 64 else {
                throw CTAPError(.invalidLength, "hmac-secret salts are \(salts.count) bytes, not 32 or 64")
            }
            let credRandom = userVerified ? keys.withUV : keys.withoutUV
            var outputs: [UInt8] = []
            for start in stride(from: 0, to: salts.count, by: 32) {
                outputs += credRandom.withUnsafeBytes { HMACSHA256.authenticate(salts[start..<start + 32], key: $0) }
            }
            return try secret.encrypt(outputs)
        } catch let error as CTAPError {
            throw error
        } catch {
            throw CTAPError(.invalidParameter, "hmac-secret: \(error)")
        }
    }
}
