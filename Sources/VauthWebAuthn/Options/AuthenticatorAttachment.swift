/// `AuthenticatorAttachment` (L3 §5.4.5): what kind of authenticator vauth pretends to be.
public enum AuthenticatorAttachment: String, Sendable, CaseIterable {
    /// A built-in authenticator; reports transport `internal`.
    case platform
    /// A roaming security key; reports transport `usb`.
    case crossPlatform = "cross-platform"

    /// The transports `getTransports()` reports (L3 §5.2.1.1).
    public var transports: [String] {
        switch self {
        case .platform: return ["internal"]
        case .crossPlatform: return ["usb"]
        }
    }
}
