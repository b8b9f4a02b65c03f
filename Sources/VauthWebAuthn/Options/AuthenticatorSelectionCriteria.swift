/// `AuthenticatorSelectionCriteria` (L3 §5.4.4), with unknown enumeration values dropped.
public struct AuthenticatorSelectionCriteria: Equatable, Sendable {
    public var authenticatorAttachment: AuthenticatorAttachment?
    public var residentKey: ResidentKeyRequirement?
    public var requireResidentKey: Bool
    public var userVerification: UserVerificationRequirement

    public init(authenticatorAttachment: AuthenticatorAttachment? = nil, residentKey: ResidentKeyRequirement? = nil,
                requireResidentKey: Bool = false, userVerification: UserVerificationRequirement = .preferred) {
        self.authenticatorAttachment = authenticatorAttachment
        self.residentKey = residentKey
        self.requireResidentKey = requireResidentKey
        self.userVerification = userVerification
    }

    init(_ json: JSONMember) throws(WebAuthnClientError) {
        authenticatorAttachment = try json.optional("authenticatorAttachment")?.enumeration(AuthenticatorAttachment.self)
        residentKey = try json.optional("residentKey")?.enumeration(ResidentKeyRequirement.self)
        requireResidentKey = try json.optional("requireResidentKey")?.bool() ?? false
        userVerification = try json.optional("userVerification")?.enumeration(UserVerificationRequirement.self) ?? .preferred
    }

    /// The effective resident key requirement (L3 §5.4.4 `residentKey`): when absent,
    /// `requireResidentKey: true` means required and anything else discouraged.
    public var effectiveResidentKey: ResidentKeyRequirement {
        residentKey ?? (requireResidentKey ? .required : .discouraged)
    }
}
