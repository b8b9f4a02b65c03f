import VauthAuthenticator

/// A headless WebAuthn client: the part of a browser that runs `navigator.credentials.create()`
/// and `get()` (WebAuthn L3 §5.1.3, §5.1.4.1) between an RP's options and one in-process
/// ``Authenticator``, speaking to it through its typed CTAP2 API.
///
/// What a browser would ask a person is decided by the options, the authenticator's getInfo and
/// the ``ClientConfiguration``: the user is always present and consents, the account chooser picks
/// the newest discoverable credential unless the caller names one, and timeouts never expire.
public struct WebAuthnClient {
    public let authenticator: Authenticator
    public var configuration: ClientConfiguration
    let rpIdValidator: RPIDValidator

    /// `publicSuffixList: nil` reads ``PublicSuffixList/system()`` when an rpId differs from the
    /// origin's host.
    public init(authenticator: Authenticator, configuration: ClientConfiguration = .init(),
                publicSuffixList: PublicSuffixList? = nil) {
        self.authenticator = authenticator
        self.configuration = configuration
        self.rpIdValidator = RPIDValidator(publicSuffixList: publicSuffixList)
    }

    /// Client data for a ceremony from `origin` under this configuration (L3 §5.8.1).
    /// A top-level origin equal to the caller's is not cross-origin: `crossOrigin` is false when
    /// the caller is same-origin with its ancestors, and the one ancestor vauth models is the top.
    func clientData(_ type: CollectedClientData.CeremonyType, challenge: [UInt8], origin: Origin) -> CollectedClientData {
        let top = configuration.topOrigin?.serialized
        let crossOrigin = configuration.crossOrigin && top != origin.serialized
        return CollectedClientData(type: type, challenge: challenge, origin: origin.serialized, crossOrigin: crossOrigin,
                                   topOrigin: crossOrigin ? top : nil, additionalMembers: configuration.additionalClientDataMembers)
    }

    /// The CTAP `uv` option for a `userVerification` requirement (L3 §5.1.3 and §5.1.4.1, "issuing
    /// a request to an authenticator"; CTAP 2.2 §6.1.2 and §6.2.2 on the `uv` option):
    /// `required` demands built-in UV and fails on an authenticator whose getInfo has no `uv`
    /// option, `preferred` uses UV when getInfo offers it, `discouraged` never asks.
    func userVerificationOption(_ requirement: UserVerificationRequirement, info: AuthenticatorInfo) throws(WebAuthnClientError) -> Bool {
        let hasUV = info.options["uv"] == true
        switch requirement {
        case .required:
            guard hasUV else { throw .notAllowed("user verification required but the authenticator has none") }
            return true
        case .preferred:
            return hasUV
        case .discouraged:
            return false
        }
    }
}
