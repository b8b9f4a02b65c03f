import VauthCrypto

/// `AuthenticationExtensionsClientOutputs` (L3 §5.8): what `getClientExtensionResults()` returns,
/// for the extensions vauth's client processes. Only extensions the RP asked for appear.
public struct ClientExtensionResults: Equatable, Sendable {
    /// `credProps` (L3 §10.1.3): `rk` says whether the credential is discoverable.
    public var credProps: CredentialPropertiesOutput?
    /// `prf` (L3 §10.1.4).
    public var prf: PRFOutputs?

    public init(credProps: CredentialPropertiesOutput? = nil, prf: PRFOutputs? = nil) {
        self.credProps = credProps
        self.prf = prf
    }

    /// The `toJSON()` form: binary values base64url, members in a fixed order.
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let credProps { members.append(("credProps", credProps.json)) }
        if let prf { members.append(("prf", prf.json)) }
        return .object(members)
    }
}

/// `CredentialPropertiesOutput` (L3 §10.1.3).
public struct CredentialPropertiesOutput: Equatable, Sendable {
    public var rk: Bool?

    public init(rk: Bool?) {
        self.rk = rk
    }

    var json: JSONValue {
        .object(rk.map { [("rk", JSONValue.bool($0))] } ?? [])
    }
}

/// `AuthenticationExtensionsPRFOutputs` (L3 §10.1.4): `enabled` at registration, and the PRF
/// results when they were evaluated.
public struct PRFOutputs: Equatable, Sendable {
    public var enabled: Bool?
    public var results: PRFValues?

    public init(enabled: Bool? = nil, results: PRFValues? = nil) {
        self.enabled = enabled
        self.results = results
    }

    var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let enabled { members.append(("enabled", .bool(enabled))) }
        if let results {
            var values: [(String, JSONValue)] = [("first", .string(Base64.urlEncode(results.first)))]
            if let second = results.second { values.append(("second", .string(Base64.urlEncode(second)))) }
            members.append(("results", .object(values)))
        }
        return .object(members)
    }
}
