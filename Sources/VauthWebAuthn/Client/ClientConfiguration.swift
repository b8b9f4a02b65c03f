/// What a browser knows about its own situation and the RP's options do not say: which kind of
/// authenticator it talks to and whether the calling frame is cross-origin.
public struct ClientConfiguration: Sendable {
    /// The authenticator's attachment (L3 §5.4.5). `nil` follows the RP's
    /// `authenticatorSelection.authenticatorAttachment` at create, and is `cross-platform`
    /// otherwise. When set and the RP asks for the other kind, create fails with
    /// `NotAllowedError`, as a browser finds no eligible authenticator (L3 §5.1.3).
    public var attachment: AuthenticatorAttachment?
    /// Whether the caller is not same-origin with its ancestors (L3 §5.8.1 `crossOrigin`).
    public var crossOrigin: Bool
    /// The top-level origin of a cross-origin call (L3 §5.8.1 `topOrigin`); ignored unless
    /// ``crossOrigin`` is true.
    public var topOrigin: Origin?
    /// Members appended to every clientDataJSON after the standard ones (see
    /// ``CollectedClientData/additionalMembers``); empty for a plain client.
    public var additionalClientDataMembers: [(name: String, value: String)] = []

    public init(attachment: AuthenticatorAttachment? = nil, crossOrigin: Bool = false, topOrigin: Origin? = nil) {
        self.attachment = attachment
        self.crossOrigin = crossOrigin
        self.topOrigin = topOrigin
    }
}
