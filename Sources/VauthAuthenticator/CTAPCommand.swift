import VauthCBOR

/// CTAP2 command bytes (CTAP 2.2 §6, table "Command codes").
public enum CTAPCommand: UInt8, Sendable {
    case makeCredential = 0x01
    case getAssertion = 0x02
    case getInfo = 0x04
    case clientPIN = 0x06
    case reset = 0x07
    case getNextAssertion = 0x08
    case selection = 0x0B
}

extension Authenticator {
    /// Serves one CTAP2 message (CTAP 2.2 §8.1): command byte ‖ CBOR parameters in, status byte
    /// ‖ CBOR response out. Any malformed input becomes a status code, never a crash.
    public func handle(_ message: [UInt8]) -> [UInt8] {
        do throws(CTAPError) {
            guard let first = message.first else { throw CTAPError(.invalidLength, "empty CTAP message") }
            guard let command = CTAPCommand(rawValue: first) else { throw CTAPError(.invalidCommand, "unknown command 0x\(String(first, radix: 16))") }
            let parameters = try Self.parameters(Array(message.dropFirst()))
            let response: CBORValue?
            switch command {
            case .makeCredential:
                response = try makeCredential(MakeCredentialRequest(cbor: try Self.require(parameters))).cborValue
            case .getAssertion:
                response = try getAssertion(GetAssertionRequest(cbor: try Self.require(parameters))).cborValue
            case .getNextAssertion:
                response = try getNextAssertion().cborValue
            case .getInfo:
                response = getInfo().cborValue
            case .clientPIN:
                response = try clientPIN(ClientPINRequest(cbor: try Self.require(parameters)))
            case .reset:
                // Resetting would erase the keystore of whoever runs vauth; refuse, as an
                // authenticator may when the reset is not within 10 s of power-up (§6.6).
                throw CTAPError(.notAllowed, "reset is disabled; delete credentials with `vauth delete`")
            case .selection:
                response = nil
            }
            return [CTAPStatus.ok.rawValue] + (response?.encoded ?? [])
        } catch {
            return [error.status.rawValue]
        }
    }

    private static func parameters(_ bytes: [UInt8]) throws(CTAPError) -> CBORValue? {
        guard !bytes.isEmpty else { return nil }
        do { return try CBORDecoder(limits: .ctap).decode(bytes) } catch { throw CTAPError(.invalidCBOR, "\(error)") }
    }

    private static func require(_ parameters: CBORValue?) throws(CTAPError) -> CBORValue {
        guard let parameters else { throw CTAPError(.missingParameter, "command needs parameters") }
        return parameters
    }
}
