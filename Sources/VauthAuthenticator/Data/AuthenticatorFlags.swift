/// The flags byte of authenticator data (WebAuthn L3 §6.1, table "flags").
public struct AuthenticatorFlags: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Bit 0, UP: the user was present.
    public static let userPresent = AuthenticatorFlags(rawValue: 0x01)
    /// Bit 2, UV: the user was verified.
    public static let userVerified = AuthenticatorFlags(rawValue: 0x04)
    /// Bit 3, BE: the credential may be backed up (a multi-device credential). Fixed at creation.
    public static let backupEligible = AuthenticatorFlags(rawValue: 0x08)
    /// Bit 4, BS: the credential is currently backed up.
    public static let backedUp = AuthenticatorFlags(rawValue: 0x10)
    /// Bit 6, AT: attested credential data follows.
    public static let attestedCredentialData = AuthenticatorFlags(rawValue: 0x40)
    /// Bit 7, ED: an extensions map follows.
    public static let extensionData = AuthenticatorFlags(rawValue: 0x80)
}
