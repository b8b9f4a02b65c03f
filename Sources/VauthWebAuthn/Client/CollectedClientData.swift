import VauthCrypto

/// The client data of a ceremony (WebAuthn L3 §5.8.1): what the client saw, serialized to
/// `clientDataJSON`, whose SHA-256 the authenticator signs as clientDataHash.
///
/// Serialization follows §5.8.1.1 exactly, the "limited verification algorithm"-friendly form:
/// `type`, `challenge`, `origin`, `crossOrigin` in that order, then `topOrigin` only when the call
/// was cross-origin. A verifier may check the prefix bytes without a JSON parser, so these bytes
/// must not depend on any JSON library's choices.
public struct CollectedClientData: Equatable, Sendable {
    /// `webauthn.create` or `webauthn.get` (L3 §5.8.1 `type`).
    public enum CeremonyType: String, Sendable {
        case create = "webauthn.create"
        case get = "webauthn.get"
    }

    public var type: CeremonyType
    /// The RP's challenge bytes; serialized base64url without padding.
    public var challenge: [UInt8]
    /// The caller's origin, serialized (``Origin/serialized``).
    public var origin: String
    /// Whether the caller's context is not same-origin with its ancestors.
    public var crossOrigin: Bool
    /// The top-level origin; written only when ``crossOrigin`` is true (L3 §5.8.1 `topOrigin`).
    public var topOrigin: String?
    /// Further string members after the standard ones, in order. Chromium sometimes appends
    /// `other_keys_can_be_added_here` so that RPs stop comparing clientDataJSON against a
    /// template (L3 §5.8.1: a verifier must not assume clientDataJSON has no other members);
    /// fixtures reproduce it.
    public var additionalMembers: [(name: String, value: String)]

    public init(type: CeremonyType, challenge: [UInt8], origin: String, crossOrigin: Bool = false, topOrigin: String? = nil,
                additionalMembers: [(name: String, value: String)] = []) {
        self.type = type
        self.challenge = challenge
        self.origin = origin
        self.crossOrigin = crossOrigin
        self.topOrigin = topOrigin
        self.additionalMembers = additionalMembers
    }

    public static func == (lhs: CollectedClientData, rhs: CollectedClientData) -> Bool {
        lhs.type == rhs.type && lhs.challenge == rhs.challenge && lhs.origin == rhs.origin && lhs.crossOrigin == rhs.crossOrigin
            && lhs.topOrigin == rhs.topOrigin && lhs.additionalMembers.elementsEqual(rhs.additionalMembers, by: { $0 == $1 })
    }

    /// The JSON-compatible serialization of client data (L3 §5.8.1.1).
    public var serialized: [UInt8] {
        var result = Array(#"{"type":"#.utf8)
        result += Self.ccdToString(type.rawValue)
        result += Array(#","challenge":"#.utf8)
        result += Self.ccdToString(Base64.urlEncode(challenge))
        result += Array(#","origin":"#.utf8)
        result += Self.ccdToString(origin)
        result += Array(#","crossOrigin":"#.utf8)
        result += Array((crossOrigin ? "true" : "false").utf8)
        if crossOrigin, let topOrigin {
            result += Array(#","topOrigin":"#.utf8)
            result += Self.ccdToString(topOrigin)
        }
        // The "remainder" of §5.8.1.1: any further members, then the closing brace.
        for member in additionalMembers {
            result.append(UInt8(ascii: ","))
            result += Self.ccdToString(member.name)
            result.append(UInt8(ascii: ":"))
            result += Self.ccdToString(member.value)
        }
        result.append(UInt8(ascii: "}"))
        return result
    }

    /// SHA-256 of ``serialized``: the clientDataHash passed to the authenticator (L3 §5.1.3).
    public var hash: [UInt8] { SHA256.hash(serialized) }

    /// `CCDToString` (L3 §5.8.1.1): a JSON string with only `"` and `\` escaped by a backslash,
    /// other code points below U+0020 as `\u` and four lowercase hex digits, everything else as
    /// UTF-8. Unlike `JSON.stringify`, there are no short escapes such as `\n`.
    public static func ccdToString(_ string: String) -> [UInt8] {
        var encoded: [UInt8] = [0x22]
        encoded.reserveCapacity(string.utf8.count + 2)
        // On UTF-8 bytes: every byte of a multi-byte character is ≥ 0x80 and copied as it is, so
        // only the ASCII cases need a decision.
        for byte in string.utf8 {
            switch byte {
            case 0x22:
                encoded += [0x5C, 0x22]
            case 0x5C:
                encoded += [0x5C, 0x5C]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                encoded += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xf)]]
            default:
                encoded.append(byte)
            }
        }
        encoded.append(0x22)
        return encoded
    }
}
