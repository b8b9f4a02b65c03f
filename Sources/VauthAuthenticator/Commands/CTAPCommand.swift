import VauthCBOR

/// CTAP2 command bytes (CTAP 2.2 §6, table "Command codes").
public enum CTAPCommand: UInt8, Sendable {
    case makeCredential = 0x01
    case getAssertion = 0x02
    case getInfo = 0x04
    case clientPIN = 0x06
    case reset = 0x07
    case getNextAssertion = 0x08
    case credentialManagement = 0x0A
    case selection = 0x0B
    case authenticatorConfig = 0x0D
    /// The FIDO_2_1_PRE code of credentialManagement, which 2.1-preview platforms still send.
    case credentialManagementPreview = 0x41
}

extension Authenticator {
    /// Serves one CTAP2 message (CTAP 2.2 §8.1): command byte ‖ CBOR parameters in, status byte
    /// ‖ CBOR response out. Any malformed input becomes a status code, never a crash.
    public func handle(_ message: [UInt8]) -> [UInt8] {
        do throws(CTAPError) {
            return [CTAPStatus.ok.rawValue] + (try respond(to: message)?.encoded ?? [])
        } catch {
            return [error.status.rawValue]
        }
    }

    /// ``handle(_:)`` with the reason kept, for a transport that logs it.
    public func respond(to message: [UInt8]) throws(CTAPError) -> CBORValue? {
        guard let first = message.first else { throw CTAPError(.invalidLength, "empty CTAP message") }
        // getInfo's maxMsgSize is a promise both ways (CTAP 2.2 §6.4).
        guard message.count <= Self.maximumMessageSize else {
            throw CTAPError(.requestTooLarge, "the message is \(message.count) bytes; maxMsgSize is \(Self.maximumMessageSize)")
        }
        guard let command = CTAPCommand(rawValue: first) else { throw CTAPError(.invalidCommand, "unknown command 0x\(String(first, radix: 16))") }
        let parameters = try Self.parameters(Array(message.dropFirst()))
        switch command {
        case .makeCredential:
            let request = try MakeCredentialRequest(cbor: try Self.require(parameters))
            guard request.excludeList.count <= Self.maximumCredentialCountInList else {
                throw CTAPError(.limitExceeded, "excludeList has \(request.excludeList.count) entries; the most is \(Self.maximumCredentialCountInList)")
            }
            return try makeCredential(request).cborValue
        case .getAssertion:
            return try getAssertion(GetAssertionRequest(cbor: try Self.require(parameters))).cborValue
        case .getNextAssertion:
            return try getNextAssertion().cborValue
        case .getInfo:
            return getInfo().cborValue
        case .clientPIN:
            return try clientPIN(ClientPINRequest(cbor: try Self.require(parameters)))
        case .reset:
            try reset()
            return nil
        case .credentialManagement, .credentialManagementPreview:
            return try credentialManagement(CredentialManagementRequest(cbor: try Self.require(parameters)),
                                            preview: command == .credentialManagementPreview)
        case .authenticatorConfig:
            return try authenticatorConfig(AuthenticatorConfigRequest(cbor: try Self.require(parameters)))
        case .selection:
            // §6.9: the user touches this authenticator; presence is always granted.
            return nil
        }
    }

    /// authenticatorReset (CTAP 2.2 §6.6): every credential and the PIN go. Resetting would
    /// erase the keystore of whoever runs vauth, so it needs `vauth serve --allow-reset`.
    public func reset() throws(CTAPError) {
        guard allowsReset else {
            throw CTAPError(.operationDenied, "reset is disabled: serve with --allow-reset (throwaway keystores only), or delete credentials with `vauth delete`")
        }
        do {
            for record in try store.allCredentials() { try store.delete(id: record.id) }
        } catch {
            throw .store(error, "delete the credentials")
        }
        try savePINState(PINState())
        powerCycle()
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
