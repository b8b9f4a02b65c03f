import VauthAuthenticator
import VauthCBOR
import VauthCrypto

/// The client's half of the `prf` extension (L3 §10.1.4) over CTAP's `hmac-secret` (CTAP 2.2
/// §12.5) and `hmac-secret-mc` (§12.7): turn PRF inputs into salts, encrypt them for the
/// authenticator under a key agreed through `authenticatorClientPIN(getKeyAgreement)`, and
/// decrypt the outputs.
struct PRFEvaluation {
    let authenticatorKey: COSEKey
    let pinUvAuthProtocol: PinUvAuthProtocol

    /// One set of encrypted salts and the secret that decrypts its outputs.
    struct Request {
        let input: HMACSecretInput
        let sharedSecret: PinUvAuthProtocol.SharedSecret
        let hasSecond: Bool
    }

    /// Gets the authenticator's key agreement key, with PIN/UV auth protocol 2 when the
    /// authenticator offers it (CTAP 2.2 §6.5), else 1.
    init(authenticator: Authenticator, info: AuthenticatorInfo) throws(WebAuthnClientError) {
        let chosen: PinUvAuthProtocol = info.pinUvAuthProtocols.contains(2) || info.pinUvAuthProtocols.isEmpty ? .two : .one
        let reply: CBORValue
        do {
            reply = try authenticator.clientPIN(ClientPINRequest(pinUvAuthProtocol: chosen.rawValue,
                                                                 subCommand: ClientPINRequest.SubCommand.getKeyAgreement))
        } catch {
            throw WebAuthnClientError(ctap: error, during: "prf key agreement")
        }
        guard let key = reply[1] else { throw .unknown("prf key agreement: the authenticator returned no keyAgreement") }
        do { authenticatorKey = try COSEKey(cbor: key, requireAlgorithm: false) } catch {
            throw .unknown("prf key agreement: \(error)")
        }
        pinUvAuthProtocol = chosen
    }

    /// salt = SHA-256(UTF8Encode("WebAuthn PRF") ‖ 0x00 ‖ input) (L3 §10.1.4): the domain
    /// separation that keeps WebAuthn PRF values apart from other hmac-secret uses.
    static func salt(_ input: [UInt8]) -> [UInt8] {
        SHA256.hash(Array("WebAuthn PRF".utf8) + [0x00] + input)
    }

    func request(for values: PRFValues) throws(WebAuthnClientError) -> Request {
        var salts = [Self.salt(values.first)]
        if let second = values.second { salts.append(Self.salt(second)) }
        do {
            let (input, secret) = try HMACSecretInput.make(salts: salts, authenticatorKey: authenticatorKey,
                                                           pinUvAuthProtocol: pinUvAuthProtocol)
            return Request(input: input, sharedSecret: secret, hasSecond: values.second != nil)
        } catch {
            throw .unknown("prf: cannot encrypt the salts: \(error)")
        }
    }

    /// Decrypts an hmac-secret output into `first` and, when two salts were sent, `second`.
    static func results(_ output: [UInt8], for request: Request) throws(WebAuthnClientError) -> PRFValues {
        let plain: [UInt8]
        do { plain = try request.sharedSecret.decrypt(output).exposedCopy() } catch {
            throw .unknown("prf: cannot decrypt the authenticator's output: \(error)")
        }
        let expected = request.hasSecond ? 64 : 32
        guard plain.count == expected else {
            throw .unknown("prf: the authenticator's output is \(plain.count) bytes, not \(expected)")
        }
        return PRFValues(first: Array(plain.prefix(32)), second: request.hasSecond ? Array(plain.suffix(32)) : nil)
    }
}
