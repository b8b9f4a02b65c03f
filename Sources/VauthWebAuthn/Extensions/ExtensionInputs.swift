/// The registration extension inputs vauth's client processes; any other member of
/// `extensions` is ignored, as a browser ignores extensions it does not know (L3 §9).
public struct RegistrationExtensionInputs: Equatable, Sendable {
    /// `credProps` (L3 §10.1.3).
    public var credProps: Bool
    /// `credentialProtectionPolicy` (CTAP 2.2 §12.1); unknown values are ignored.
    public var credentialProtectionPolicy: CredentialProtectionPolicy?
    public var enforceCredentialProtectionPolicy: Bool
    /// `prf` (L3 §10.1.4).
    public var prf: PRFInputs?

    public init(credProps: Bool = false, credentialProtectionPolicy: CredentialProtectionPolicy? = nil,
                enforceCredentialProtectionPolicy: Bool = false, prf: PRFInputs? = nil) {
        self.credProps = credProps
        self.credentialProtectionPolicy = credentialProtectionPolicy
        self.enforceCredentialProtectionPolicy = enforceCredentialProtectionPolicy
        self.prf = prf
    }

    init(_ json: JSONMember?) throws(WebAuthnClientError) {
        guard let json else {
            self.init()
            return
        }
        self.init(
            credProps: try json.optional("credProps")?.bool() ?? false,
            credentialProtectionPolicy: try json.optional("credentialProtectionPolicy")?.enumeration(CredentialProtectionPolicy.self),
            enforceCredentialProtectionPolicy: try json.optional("enforceCredentialProtectionPolicy")?.bool() ?? false,
            prf: try json.optional("prf").map { (member) throws(WebAuthnClientError) in try PRFInputs(member) })
    }
}

/// The authentication extension inputs vauth's client processes.
public struct AuthenticationExtensionInputs: Equatable, Sendable {
    /// `prf` (L3 §10.1.4).
    public var prf: PRFInputs?

    public init(prf: PRFInputs? = nil) {
        self.prf = prf
    }

    init(_ json: JSONMember?) throws(WebAuthnClientError) {
        prf = try json?.optional("prf").map { (member) throws(WebAuthnClientError) in try PRFInputs(member) }
    }
}
