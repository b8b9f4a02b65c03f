import VauthCBOR
import VauthCrypto

/// authenticatorClientPIN (0x06) parameters (CTAP 2.2 §6.5.5).
public struct ClientPINRequest: Sendable {
    public var pinUvAuthProtocol: Int?
    public var subCommand: Int
    public var keyAgreement: COSEKey?
    public var pinUvAuthParam: [UInt8]?
    public var newPinEnc: [UInt8]?
    public var pinHashEnc: [UInt8]?
    public var permissions: Int?
    public var rpId: String?

    public init(pinUvAuthProtocol: Int?, subCommand: Int, keyAgreement: COSEKey? = nil, pinUvAuthParam: [UInt8]? = nil,
                newPinEnc: [UInt8]? = nil, pinHashEnc: [UInt8]? = nil, permissions: Int? = nil, rpId: String? = nil) {
        self.pinUvAuthProtocol = pinUvAuthProtocol
        self.subCommand = subCommand
        self.keyAgreement = keyAgreement
        self.pinUvAuthParam = pinUvAuthParam
        self.newPinEnc = newPinEnc
        self.pinHashEnc = pinHashEnc
        self.permissions = permissions
        self.rpId = rpId
    }

    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "clientPIN")
        subCommand = try map.required(0x02, "subCommand", \.intValue)
        pinUvAuthProtocol = try map.optional(0x01, "pinUvAuthProtocol", \.intValue)
        if let key = try map.optional(0x03, "keyAgreement", { $0.mapValue != nil ? $0 : nil }) {
            do { keyAgreement = try COSEKey(cbor: key, requireAlgorithm: false) } catch {
                throw CTAPError(.invalidParameter, "clientPIN keyAgreement is not a usable COSE key: \(error)")
            }
        } else {
            keyAgreement = nil
        }
        pinUvAuthParam = try map.optional(0x04, "pinUvAuthParam", \.bytesValue)
        newPinEnc = try map.optional(0x05, "newPinEnc", \.bytesValue)
        pinHashEnc = try map.optional(0x06, "pinHashEnc", \.bytesValue)
        permissions = try map.optional(0x09, "permissions", \.intValue)
        rpId = try map.optional(0x0A, "rpId", \.textValue)
    }

    public var cborValue: CBORValue {
        var map: [CBORValue: CBORValue] = [0x02: .int(subCommand)]
        if let pinUvAuthProtocol { map[0x01] = .int(pinUvAuthProtocol) }
        if let keyAgreement { map[0x03] = keyAgreement.cborValue }
        if let pinUvAuthParam { map[0x04] = .bytes(pinUvAuthParam) }
        if let newPinEnc { map[0x05] = .bytes(newPinEnc) }
        if let pinHashEnc { map[0x06] = .bytes(pinHashEnc) }
        if let permissions { map[0x09] = .int(permissions) }
        if let rpId { map[0x0A] = .text(rpId) }
        return .map(map)
    }

    /// clientPIN subcommands (CTAP 2.2 §6.5.5, table "subCommand").
    public enum SubCommand {
        public static let getPINRetries = 0x01
        public static let getKeyAgreement = 0x02
        public static let setPIN = 0x03
        public static let changePIN = 0x04
        public static let getPinToken = 0x05
        public static let getPinUvAuthTokenUsingUvWithPermissions = 0x06
        public static let getUVRetries = 0x07
        public static let getPinUvAuthTokenUsingPinWithPermissions = 0x09
    }
}

extension Authenticator {
    /// The longest PIN, in UTF-8 bytes (CTAP 2.2 §6.5.1: at most 63).
    static let maximumPINBytes = 63

    /// authenticatorClientPIN (CTAP 2.2 §6.5.5).
    public func clientPIN(_ request: ClientPINRequest) throws(CTAPError) -> CBORValue {
        typealias Sub = ClientPINRequest.SubCommand
        switch request.subCommand {
        case Sub.getPINRetries:
            // §6.5.5.2: pinRetries, and powerCycleState when a power cycle is needed first.
            let state = try pinState()
            var map: [CBORValue: CBORValue] = [0x03: .int(state.retries)]
            if powerCycleState.pinAuthBlocked { map[0x04] = true }
            return .map(map)
        case Sub.getKeyAgreement:
            _ = try requireProtocol(request)
            do { return [0x01: try keyAgreementKey().coseKey().cborValue] } catch { throw CTAPError(.other, "key agreement: \(error)") }
        case Sub.setPIN:
            return try setPIN(request)
        case Sub.changePIN:
            return try changePIN(request)
        case Sub.getPinToken:
            guard request.permissions == nil, request.rpId == nil else {
                throw CTAPError(.invalidParameter, "getPinToken takes no permissions or rpId")
            }
            return try issueToken(request, permissions: [.makeCredential, .getAssertion], rpId: nil, legacy: true)
        case Sub.getPinUvAuthTokenUsingPinWithPermissions:
            guard let raw = request.permissions else { throw CTAPError(.missingParameter, "permissions is missing") }
            guard raw != 0 else { throw CTAPError(.invalidParameter, "permissions is zero") }
            let permissions = PinUvAuthPermissions(rawValue: raw)
            guard PinUvAuthPermissions.supported.isSuperset(of: permissions) else {
                throw CTAPError(.unauthorizedPermission, "permissions 0x\(String(raw, radix: 16)) include one this authenticator does not grant")
            }
            if !permissions.isDisjoint(with: [.makeCredential, .getAssertion]), request.rpId == nil {
                throw CTAPError(.missingParameter, "the mc and ga permissions need an rpId")
            }
            return try issueToken(request, permissions: permissions, rpId: request.rpId, legacy: false)
        case Sub.getPinUvAuthTokenUsingUvWithPermissions:
            return try issueTokenUsingUV(request)
        case Sub.getUVRetries:
            guard policy.userVerification != .unsupported else { throw CTAPError(.notAllowed, "no built-in user verification") }
            // The simulated built-in method never fails a match, so its retries never move.
            return [0x05: .int(PINState.maximumRetries)]
        default:
            throw CTAPError(.invalidSubcommand, "clientPIN subCommand \(request.subCommand) is not supported")
        }
    }

    /// getPinUvAuthTokenUsingUvWithPermissions (§6.5.5.7.3): the simulated built-in method
    /// verifies the user (or, with policy "refused", the user declines).
    private func issueTokenUsingUV(_ request: ClientPINRequest) throws(CTAPError) -> CBORValue {
        let pinUvAuthProtocol = try requireProtocol(request)
        guard request.keyAgreement != nil else { throw CTAPError(.missingParameter, "keyAgreement is missing") }
        guard let raw = request.permissions else { throw CTAPError(.missingParameter, "permissions is missing") }
        guard raw != 0 else { throw CTAPError(.invalidParameter, "permissions is zero") }
        let permissions = PinUvAuthPermissions(rawValue: raw)
        guard PinUvAuthPermissions.supported.isSuperset(of: permissions) else {
            throw CTAPError(.unauthorizedPermission, "permissions 0x\(String(raw, radix: 16)) include one this authenticator does not grant")
        }
        switch policy.userVerification {
        case .unsupported: throw CTAPError(.notAllowed, "no built-in user verification")
        case .refused: throw CTAPError(.operationDenied, "the user refused user verification")
        case .supported: break
        }
        let secret = try sharedSecret(request, pinUvAuthProtocol)
        let token: SecretBytes
        do { token = SecretBytes(try randomBytes(32)) } catch { throw CTAPError(.other, "token: \(error)") }
        powerCycleState.token = PinUvAuthTokenState(token: token, permissions: permissions, rpId: request.rpId, issuedAt: now(), isLegacy: false)
        do {
            return [0x02: .bytes(try token.withUnsafeBytes { (raw) throws(CryptoError) in try secret.encrypt(Array(raw)) })]
        } catch {
            throw CTAPError(.other, "encrypting the token failed: \(error)")
        }
    }

    private func requireProtocol(_ request: ClientPINRequest) throws(CTAPError) -> PinUvAuthProtocol {
        guard let number = request.pinUvAuthProtocol else { throw CTAPError(.missingParameter, "pinUvAuthProtocol is missing") }
        guard let pinUvAuthProtocol = PinUvAuthProtocol(rawValue: number) else {
            throw CTAPError(.invalidParameter, "PIN/UV auth protocol \(number) is not supported")
        }
        return pinUvAuthProtocol
    }

    /// decapsulate(keyAgreement): the shared secret with the platform's key (§6.5.6).
    private func sharedSecret(_ request: ClientPINRequest, _ pinUvAuthProtocol: PinUvAuthProtocol) throws(CTAPError) -> PinUvAuthProtocol.SharedSecret {
        guard let peer = request.keyAgreement else { throw CTAPError(.missingParameter, "keyAgreement is missing") }
        do {
            let z = try keyAgreementKey().sharedSecret(with: peer)
            return try pinUvAuthProtocol.sharedSecret(fromZ: z)
        } catch let error as CTAPError {
            throw error
        } catch {
            throw CTAPError(.invalidParameter, "key agreement with the platform's key failed: \(error)")
        }
    }

    /// Decrypts newPinEnc and applies the PIN policy (§6.5.5.5 setPIN steps 6–9): 64 bytes of
    /// padded PIN, at least the minimum length in code points, at most 63 bytes.
    private func decryptNewPIN(_ newPinEnc: [UInt8], _ secret: PinUvAuthProtocol.SharedSecret, minimumLength: Int) throws(CTAPError) -> (hash: SecretBytes, length: Int) {
        let padded: [UInt8]
        do { padded = try secret.decrypt(newPinEnc).exposedCopy() } catch {
            throw CTAPError(.invalidParameter, "newPinEnc does not decrypt: \(error)")
        }
        defer { _ = padded }
        guard padded.count == 64 else { throw CTAPError(.invalidParameter, "the padded new PIN is \(padded.count) bytes, not 64") }
        let pin = Array(padded.prefix { $0 != 0 })
        guard pin.count <= Self.maximumPINBytes else { throw CTAPError(.pinPolicyViolation, "the new PIN is longer than 63 bytes") }
        let codePoints = String(decoding: pin, as: UTF8.self).unicodeScalars.count
        guard codePoints >= minimumLength else {
            throw CTAPError(.pinPolicyViolation, "the new PIN has \(codePoints) characters; the minimum is \(minimumLength)")
        }
        return (PINState.hash(of: pin), codePoints)
    }

    /// setPIN (§6.5.5.5).
    private func setPIN(_ request: ClientPINRequest) throws(CTAPError) -> CBORValue {
        let pinUvAuthProtocol = try requireProtocol(request)
        guard request.keyAgreement != nil, let newPinEnc = request.newPinEnc, let param = request.pinUvAuthParam else {
            throw CTAPError(.missingParameter, "setPIN needs keyAgreement, newPinEnc and pinUvAuthParam")
        }
        var state = try pinState()
        guard !state.isSet else { throw CTAPError(.notAllowed, "a PIN is already set; use changePIN") }
        let secret = try sharedSecret(request, pinUvAuthProtocol)
        guard secret.verify(newPinEnc, signature: param) else { throw CTAPError(.pinAuthInvalid, "pinUvAuthParam does not verify newPinEnc") }
        (state.pinHash, state.pinLength) = try decryptNewPIN(newPinEnc, secret, minimumLength: state.minimumLength)
        state.retries = PINState.maximumRetries
        state.forceChange = false
        try savePINState(state)
        return .map([:])
    }

    /// changePIN (§6.5.5.6).
    private func changePIN(_ request: ClientPINRequest) throws(CTAPError) -> CBORValue {
        let pinUvAuthProtocol = try requireProtocol(request)
        guard request.keyAgreement != nil, let pinHashEnc = request.pinHashEnc, let newPinEnc = request.newPinEnc,
              let param = request.pinUvAuthParam else {
            throw CTAPError(.missingParameter, "changePIN needs keyAgreement, pinHashEnc, newPinEnc and pinUvAuthParam")
        }
        var state = try checkPINAttemptAllowed()
        let secret = try sharedSecret(request, pinUvAuthProtocol)
        guard secret.verify(newPinEnc + pinHashEnc, signature: param) else {
            throw CTAPError(.pinAuthInvalid, "pinUvAuthParam does not verify newPinEnc ‖ pinHashEnc")
        }
        state = try comparePIN(pinHashEnc, secret, state)
        (state.pinHash, state.pinLength) = try decryptNewPIN(newPinEnc, secret, minimumLength: state.minimumLength)
        state.forceChange = false
        try savePINState(state)
        // Every token issued under the old PIN stops working.
        powerCycleState.token = nil
        return .map([:])
    }

    /// getPinToken and getPinUvAuthTokenUsingPinWithPermissions (§6.5.5.7.1, §6.5.5.7.2).
    private func issueToken(_ request: ClientPINRequest, permissions: PinUvAuthPermissions, rpId: String?,
                            legacy: Bool) throws(CTAPError) -> CBORValue {
        let pinUvAuthProtocol = try requireProtocol(request)
        guard request.keyAgreement != nil, let pinHashEnc = request.pinHashEnc else {
            throw CTAPError(.missingParameter, "getting a token needs keyAgreement and pinHashEnc")
        }
        var state = try checkPINAttemptAllowed()
        let secret = try sharedSecret(request, pinUvAuthProtocol)
        state = try comparePIN(pinHashEnc, secret, state)
        if state.forceChange { throw CTAPError(.pinPolicyViolation, "the PIN must be changed first (forcePINChange)") }
        // A new token replaces the old one: resetPinUvAuthToken, then beginUsingPinUvAuthToken.
        let token: SecretBytes
        do { token = SecretBytes(try randomBytes(32)) } catch { throw CTAPError(.other, "token: \(error)") }
        powerCycleState.token = PinUvAuthTokenState(token: token, permissions: permissions, rpId: rpId, issuedAt: now(), isLegacy: legacy)
        do {
            return [0x02: .bytes(try token.withUnsafeBytes { (raw) throws(CryptoError) in try secret.encrypt(Array(raw)) })]
        } catch {
            throw CTAPError(.other, "encrypting the token failed: \(error)")
        }
    }

    /// The checks before a PIN is compared: a PIN is set, the retries are not used up, and this
    /// power cycle has not seen three wrong PINs in a row.
    private func checkPINAttemptAllowed() throws(CTAPError) -> PINState {
        let state = try pinState()
        guard state.isSet else { throw CTAPError(.pinNotSet, "no PIN is set") }
        guard state.retries > 0 else { throw CTAPError(.pinBlocked, "the PIN is blocked: no retries left (reset the authenticator)") }
        guard !powerCycleState.pinAuthBlocked else {
            throw CTAPError(.pinAuthBlocked, "three wrong PINs since power-up: power-cycle the authenticator")
        }
        return state
    }

    /// Decrements pinRetries (durably) before comparing, then compares LEFT(SHA-256(PIN), 16)
    /// in constant time (§6.5.5.5 "PIN hash verification"). On a mismatch the key agreement key
    /// is regenerated; the third in a row blocks PIN use until a power cycle.
    private func comparePIN(_ pinHashEnc: [UInt8], _ secret: PinUvAuthProtocol.SharedSecret, _ state: PINState) throws(CTAPError) -> PINState {
        var state = state
        state.retries -= 1
        try savePINState(state)
        let candidate: SecretBytes
        do { candidate = try secret.decrypt(pinHashEnc) } catch {
            throw CTAPError(.invalidParameter, "pinHashEnc does not decrypt: \(error)")
        }
        guard let stored = state.pinHash, candidate.count == 16, candidate.constantTimeEquals(stored) else {
            powerCycleState.agreementKey = nil
            powerCycleState.consecutiveMismatches += 1
            if state.retries == 0 { throw CTAPError(.pinBlocked, "wrong PIN; no retries left: the PIN is blocked") }
            if powerCycleState.pinAuthBlocked {
                throw CTAPError(.pinAuthBlocked, "wrong PIN, the third in a row: power-cycle the authenticator (\(state.retries) retries left)")
            }
            throw CTAPError(.pinInvalid, "wrong PIN (\(state.retries) retries left)")
        }
        powerCycleState.consecutiveMismatches = 0
        state.retries = PINState.maximumRetries
        try savePINState(state)
        return state
    }
}
