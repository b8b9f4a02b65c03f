import VauthCBOR
import VauthCrypto

/// The two per-credential secrets of hmac-secret (CTAP 2.2 §12.5): one for assertions with UV,
/// one without, so a PRF output with UV cannot be obtained without it.
public struct HMACSecretKeys: Sendable {
    public let withUV: SecretBytes
    public let withoutUV: SecretBytes

    public init(withUV: SecretBytes, withoutUV: SecretBytes) {
        self.withUV = withUV
        self.withoutUV = withoutUV
    }
}

/// hmac-secret (CTAP 2.2 §12.5): at makeCredential (input `true`) the credential gets its two
/// secrets and the output is `true`; at getAssertion the encrypted salts are HMACed with the
/// secret for this UV state and returned encrypted.
public enum HMACSecretExtension: AuthenticatorExtension {
    public static let identifier = "hmac-secret"

    public static func makeCredentialInput(from value: CBORValue) throws(CTAPError) -> Bool? {
        try typed(value, \.boolValue) ? true : nil
    }

    public static func encodeMakeCredentialInput(_ input: Bool) -> CBORValue { .boolean(input) }

    public static func makeCredential(_ input: Bool, _ context: inout MakeCredentialExtensionContext) throws(CTAPError) -> CBORValue? {
        _ = try keys(for: &context)
        return true
    }

    /// The credential's secrets, made on first use (hmac-secret-mc needs them too).
    static func keys(for context: inout MakeCredentialExtensionContext) throws(CTAPError) -> HMACSecretKeys {
        if let keys = context.record.hmacSecret { return keys }
        let keys: HMACSecretKeys
        do {
            keys = HMACSecretKeys(withUV: SecretBytes(try context.randomBytes(32)), withoutUV: SecretBytes(try context.randomBytes(32)))
        } catch {
            throw CTAPError(.other, "key generation failed: \(error)")
        }
        context.record.hmacSecret = keys
        return keys
    }

    public static func getAssertionInput(from value: CBORValue) throws(CTAPError) -> HMACSecretInput? {
        try HMACSecretInput(cbor: value, name: identifier)
    }

    public static func encodeGetAssertionInput(_ input: HMACSecretInput) -> CBORValue { input.cborValue }

    public static func getAssertion(_ input: HMACSecretInput, _ context: GetAssertionExtensionContext) throws(CTAPError) -> CBORValue? {
        // hmac-secret needs user presence (CTAP 2.2 §12.5).
        guard context.request.userPresence else { throw CTAPError(.unsupportedOption, "hmac-secret requires user presence") }
        guard let keys = context.record.hmacSecret else { return nil }
        return .bytes(try HMACSecretEvaluation.evaluate(input, keys: keys, userVerified: context.userVerified,
                                                        keyAgreementKey: context.keyAgreementKey()))
    }
}

extension MakeCredentialExtensionInputs {
    /// hmac-secret (CTAP 2.2 §12.5): make the credential with its PRF secrets.
    public var hmacSecret: Bool {
        get { self[HMACSecretExtension.self] ?? false }
        set { self[HMACSecretExtension.self] = newValue ? true : nil }
    }

    public init(hmacSecret: Bool) {
        self.init()
        self.hmacSecret = hmacSecret
    }
}

extension GetAssertionExtensionInputs {
    /// hmac-secret (CTAP 2.2 §12.5): the encrypted salts to evaluate.
    public var hmacSecret: HMACSecretInput? {
        get { self[HMACSecretExtension.self] }
        set { self[HMACSecretExtension.self] = newValue }
    }

    public init(hmacSecret: HMACSecretInput?) {
        self.init()
        self.hmacSecret = hmacSecret
    }
}

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
