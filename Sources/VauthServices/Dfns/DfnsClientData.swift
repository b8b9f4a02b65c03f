import VauthCrypto
import VauthWebAuthn

/// The client data a Dfns Key or RecoveryKey credential signs (contract: "Key credential"):
/// `{"type": "key.create" | "key.get", "challenge", "origin", "crossOrigin": false}` as compact
/// JSON, the shape of the seed's example. The bytes are what is hashed, signed and sent.
public struct DfnsClientData: Sendable {
    public enum Kind: String, Sendable {
        /// Registering a new Key credential.
        case create = "key.create"
        /// Signing a login, user action or user recovery.
        case get = "key.get"
    }

    public let bytes: [UInt8]

    public init(_ kind: Kind, challenge: String, origin: Origin) {
        let json: JSONValue = [
            "type": .string(kind.rawValue), "challenge": .string(challenge),
            "origin": .string(origin.serialized), "crossOrigin": false,
        ]
        bytes = Array(json.serialized(.compact).utf8)
    }

    /// base64url, as every Dfns body carries it.
    public var encoded: String { Base64.urlEncode(bytes) }
}
