import VauthCBOR
import VauthCrypto

/// authenticatorClientPIN (0x06), the part a PIN-less authenticator with hmac-secret needs:
/// getKeyAgreement (0x02), so a platform can agree the secret that protects hmac-secret salts,
/// and getPINRetries (0x01). vauth sets no PIN, so PIN subcommands answer CTAP2_ERR_PIN_NOT_SET.
public struct ClientPINRequest: Sendable {
    public var pinUvAuthProtocol: Int
    public var subCommand: Int

    public init(pinUvAuthProtocol: Int, subCommand: Int) {
        self.pinUvAuthProtocol = pinUvAuthProtocol
        self.subCommand = subCommand
    }

    public init(cbor: CBORValue) throws(CTAPError) {
        let map = try CTAPMap(cbor, context: "clientPIN")
        subCommand = try map.required(0x02, "subCommand", \.intValue)
        pinUvAuthProtocol = try map.optional(0x01, "pinUvAuthProtocol", \.intValue) ?? 0
    }

    public var cborValue: CBORValue { [0x01: .int(pinUvAuthProtocol), 0x02: .int(subCommand)] }

    public enum SubCommand {
        public static let getPINRetries = 0x01
        public static let getKeyAgreement = 0x02
    }
}

extension Authenticator {
    public func clientPIN(_ request: ClientPINRequest) throws(CTAPError) -> CBORValue {
        switch request.subCommand {
        case ClientPINRequest.SubCommand.getPINRetries:
            return [0x03: 8]
        case ClientPINRequest.SubCommand.getKeyAgreement:
            guard PinUvAuthProtocol(rawValue: request.pinUvAuthProtocol) != nil else {
                throw CTAPError(.invalidParameter, "PIN/UV auth protocol \(request.pinUvAuthProtocol) is not supported")
            }
            do { return [0x01: try keyAgreementKey().coseKey().cborValue] } catch { throw CTAPError(.other, "key agreement: \(error)") }
        case 0x03, 0x04, 0x05, 0x06, 0x09:
            throw CTAPError(.pinNotSet, "this authenticator has no PIN")
        default:
            throw CTAPError(.invalidParameter, "clientPIN subCommand \(request.subCommand) is not supported")
        }
    }
}
