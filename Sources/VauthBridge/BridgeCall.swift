import VauthWebAuthn

/// One message the injected script sent: a call (its number, what it asks, the options in their
/// JSON form), a cancellation (the page's signal or timer ended a call), or a call too large to
/// send. Only vauth's own script can send (the page cannot reach the transport), but the payload
/// is still treated as page input: it decides no origin, and a malformed one is a `TypeError`.
enum BridgeMessage: Sendable {
    case call(BridgeCall)
    /// The page ended call `number` itself (its signal or its timer): vauth drops it if not yet run.
    case cancel(number: Int)
    /// Call `number` had options of `bytes` bytes, more than ``BridgeLimits/maxCallBytes``.
    case oversize(number: Int, kind: String, bytes: Int)

    init(payload: String) throws(WebAuthnClientError) {
        let value = try JSONParser.parse(payload)
        guard let number = BridgeCall.number(in: value) else { throw .init(.type, "the bridge call has no number") }
        if value["cancel"]?.boolValue == true {
            self = .cancel(number: number)
        } else if let bytes = value["oversize"]?.numberValue {
            self = .oversize(number: number, kind: value["kind"]?.stringValue == "create" ? "create" : "get", bytes: Int(clamping: Int64(bytes)))
        } else {
            self = .call(try BridgeCall(value, number: number))
        }
    }
}

/// A create or get call: what `navigator.credentials` was asked, in WebAuthn L3 JSON form.
struct BridgeCall: Sendable {
    enum Kind: Sendable {
        case create(PublicKeyCredentialCreationOptions)
        case get(PublicKeyCredentialRequestOptions)
    }

    /// The script's number for the call, to settle the right promise.
    let number: Int
    let kind: Kind
    /// `mediation: "conditional"` (L3 §5.1.4, conditional user mediation).
    let conditional: Bool

    /// The call's name in the log: "create", "get", "get (conditional)".
    var logName: String {
        switch kind {
        case .create: return "create"
        case .get: return conditional ? "get (conditional)" : "get"
        }
    }

    /// The Permissions Policy feature the call needs (L3 §5.9, §5.10).
    var feature: String {
        switch kind {
        case .create: return "publickey-credentials-create"
        case .get: return "publickey-credentials-get"
        }
    }

    /// The call's number alone, when the rest is malformed (so the caller still gets its error).
    static func number(in payload: String) -> Int? {
        (try? JSONParser.parse(payload)).flatMap(number(in:))
    }

    static func number(in value: JSONValue) -> Int? {
        guard let number = value["call"]?.numberValue, number >= 1, number <= 9_007_199_254_740_991, number.rounded() == number else { return nil }
        return Int(number)
    }

    init(payload: String) throws(WebAuthnClientError) {
        let value = try JSONParser.parse(payload)
        guard let number = Self.number(in: value) else { throw .init(.type, "the bridge call has no number") }
        try self.init(value, number: number)
    }

    init(_ value: JSONValue, number: Int) throws(WebAuthnClientError) {
        self.number = number
        conditional = value["mediation"]?.stringValue == "conditional"
        switch value["kind"]?.stringValue {
        case "create":
            guard let options = value["options"] else { throw .init(.type, "create: no options") }
            kind = .create(try PublicKeyCredentialCreationOptions(json: options))
        case "get":
            guard let options = value["options"] else { throw .init(.type, "get: no options") }
            kind = .get(try PublicKeyCredentialRequestOptions(json: options))
        default:
            throw .init(.type, "unknown bridge call kind")
        }
    }
}
