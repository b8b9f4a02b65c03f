import VauthCBOR
import VauthCrypto

/// authenticatorConfig (0x0D) parameters (CTAP 2.2 §6.11).
public struct AuthenticatorConfigRequest: Sendable {
    public var subCommand: Int
    public var subCommandParams: CBORValue?
    public var pinUvAuthProtocol: Int?
    public var pinUvAuthParam: [UInt8]?

    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "authenticatorConfig")
        subCommand = try map.required(0x01, "subCommand", \.intValue)
        subCommandParams = try map.optional(0x02, "subCommandParams") { $0.mapValue != nil ? $0 : nil }
        pinUvAuthProtocol = try map.optional(0x03, "pinUvAuthProtocol", \.intValue)
        pinUvAuthParam = try map.optional(0x04, "pinUvAuthParam", \.bytesValue)
    }

    public enum SubCommand {
        public static let enableEnterpriseAttestation = 0x01
        public static let toggleAlwaysUv = 0x02
        public static let setMinPINLength = 0x03
    }
}

extension Authenticator {
    /// authenticatorConfig (CTAP 2.2 §6.11): only setMinPINLength, the one setting that means
    /// something here. Enterprise attestation and alwaysUv are not offered.
    public func authenticatorConfig(_ request: AuthenticatorConfigRequest) throws(CTAPError) -> CBORValue? {
        guard request.subCommand == AuthenticatorConfigRequest.SubCommand.setMinPINLength else {
            throw CTAPError(.invalidSubcommand, "authenticatorConfig subCommand \(request.subCommand) is not supported")
        }
        // §6.11.1: a protected authenticator needs a token with the acfg permission over
        // 32×0xff ‖ 0x0d ‖ subCommand ‖ subCommandParams.
        if let param = request.pinUvAuthParam {
            guard let number = request.pinUvAuthProtocol else { throw CTAPError(.missingParameter, "pinUvAuthProtocol is missing") }
            guard let pinUvAuthProtocol = PinUvAuthProtocol(rawValue: number) else {
                throw CTAPError(.invalidParameter, "PIN/UV auth protocol \(number) is not supported")
            }
            let message = [UInt8](repeating: 0xFF, count: 32) + [0x0D, UInt8(truncatingIfNeeded: request.subCommand)]
                + (request.subCommandParams?.encoded ?? [])
            guard let token = powerCycleState.token, token.verify(message, signature: param, protocol: pinUvAuthProtocol) else {
                throw CTAPError(.pinAuthInvalid, "pinUvAuthParam does not verify")
            }
            guard token.permissions.contains(.authenticatorConfiguration) else {
                throw CTAPError(.pinAuthInvalid, "the pinUvAuthToken lacks the acfg permission")
            }
        } else if isProtectedByUserVerification {
            throw CTAPError(.puatRequired, "authenticatorConfig needs a pinUvAuthParam")
        }

        // §6.11.4 setMinPINLength: newMinPINLength (1), minPinLengthRPIDs (2, not kept), forceChangePin (3).
        let params = request.subCommandParams.map(CTAPMapView.init)
        let newMinimum = try params?.map.optional(0x01, "newMinPINLength", \.intValue)
        let force = try params?.map.optional(0x03, "forceChangePin", \.boolValue) ?? false
        if try params?.map.optional(0x02, "minPinLengthRPIDs", \.arrayValue) != nil {
            throw CTAPError(.invalidParameter, "minPinLengthRPIDs is not supported (no minPinLength extension)")
        }
        var state = try pinState()
        if let newMinimum {
            guard newMinimum >= state.minimumLength else {
                throw CTAPError(.pinPolicyViolation, "the minimum PIN length cannot go down (\(state.minimumLength) → \(newMinimum))")
            }
            guard newMinimum <= Self.maximumPINBytes else { throw CTAPError(.pinPolicyViolation, "a minimum PIN length over 63 cannot be met") }
            state.minimumLength = newMinimum
        }
        if force && !state.isSet { throw CTAPError(.pinNotSet, "forceChangePin without a PIN") }
        if state.isSet && (force || state.pinLength < state.minimumLength) { state.forceChange = true }
        try savePINState(state)
        return nil
    }
}
