import VauthWebAuthn

/// One call the injected script sent through the binding: its number, what it asks, and the
/// options in their JSON form. Any page script can call the binding with any payload, so this
/// holds nothing that decides an origin, and a malformed payload is a `TypeError` for the caller.
struct BridgeCall: Sendable {
    enum Kind: Sendable {
        case create(PublicKeyCredentialCreationOptions)
        case get(PublicKeyCredentialRequestOptions)
        case capabilities
    }

    /// The script's number for the call, to settle the right promise.
    let number: Int
    let kind: Kind
    /// `mediation: "conditional"` (L3 §5.1.4, conditional user mediation).
    let conditional: Bool

    /// The call's name in the log: "create", "get", "get (conditional)", "query".
    var logName: String {
        switch kind {
        case .create: return "create"
        case .get: return conditional ? "get (conditional)" : "get"
        case .capabilities: return "query"
        }
    }

    /// The call's number alone, when the rest is malformed (so the caller still gets its error).
    static func number(in payload: String) -> Int? {
        guard let value = try? JSONParser.parse(payload), let number = value["call"]?.numberValue,
              number >= 1, number <= 9_007_199_254_740_991, number.rounded() == number else { return nil }
        return Int(number)
    }

    init(payload: String) throws(WebAuthnClientError) {
        let value = try JSONParser.parse(payload)
        guard let number = Self.number(in: payload) else { throw .init(.type, "the bridge call has no number") }
        self.number = number
        conditional = value["mediation"]?.stringValue == "conditional"
        switch value["kind"]?.stringValue {
        case "create":
            guard let options = value["options"] else { throw .init(.type, "create: no options") }
            kind = .create(try PublicKeyCredentialCreationOptions(json: options))
        case "get":
            guard let options = value["options"] else { throw .init(.type, "get: no options") }
            kind = .get(try PublicKeyCredentialRequestOptions(json: options))
        case "query":
            kind = .capabilities
        default:
            throw .init(.type, "unknown bridge call kind")
        }
    }
}
