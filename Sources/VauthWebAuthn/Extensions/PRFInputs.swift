/// `AuthenticationExtensionsPRFValues` (L3 §10.1.4): one or two PRF inputs of any length.
public struct PRFValues: Equatable, Sendable {
    public var first: [UInt8]
    public var second: [UInt8]?

    public init(first: [UInt8], second: [UInt8]? = nil) {
        self.first = first
        self.second = second
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        first = try json.required("first").base64url()
        second = try json.optional("second")?.base64url()
    }
}

/// `AuthenticationExtensionsPRFInputs` (L3 §10.1.4).
public struct PRFInputs: Equatable, Sendable {
    public var eval: PRFValues?
    /// Keyed by base64url credential id, as the RP wrote it; checked against allowCredentials
    /// when the ceremony runs (L3 §10.1.4 authentication step 2).
    public var evalByCredential: [String: PRFValues]

    public init(eval: PRFValues? = nil, evalByCredential: [String: PRFValues] = [:]) {
        self.eval = eval
        self.evalByCredential = evalByCredential
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        eval = try json.optional("eval").map { (member) throws(WebAuthnClientError) in try PRFValues(member) }
        var byCredential: [String: PRFValues] = [:]
        for (key, member) in try json.optional("evalByCredential")?.members() ?? [] {
            byCredential[key] = try PRFValues(member)
        }
        evalByCredential = byCredential
    }
}
