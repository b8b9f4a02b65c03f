import VauthCrypto

/// pinUvAuthToken permissions (CTAP 2.2 §6.5.5.7).
public struct PinUvAuthPermissions: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let makeCredential = PinUvAuthPermissions(rawValue: 0x01)
    public static let getAssertion = PinUvAuthPermissions(rawValue: 0x02)
    public static let credentialManagement = PinUvAuthPermissions(rawValue: 0x04)
    public static let bioEnrollment = PinUvAuthPermissions(rawValue: 0x08)
    public static let largeBlobWrite = PinUvAuthPermissions(rawValue: 0x10)
    public static let authenticatorConfiguration = PinUvAuthPermissions(rawValue: 0x20)

    /// What this authenticator can grant: it has no bio enrollment and no large blobs.
    public static let supported: PinUvAuthPermissions = [.makeCredential, .getAssertion, .credentialManagement, .authenticatorConfiguration]
}

/// The pinUvAuthToken and its state (CTAP 2.2 §6.5.2.1): one token, regenerated at power-up and
/// whenever a new one is issued, with the permissions and RP it was issued for.
struct PinUvAuthTokenState {
    /// A fresh random 32-byte token (both protocols use 32 bytes).
    var token: SecretBytes
    var permissions: PinUvAuthPermissions
    /// The permissions RP ID: set when the token was issued for one RP, or bound on first use.
    var rpId: String?
    var issuedAt: Int64
    /// Issued by getPinToken (0x05), the CTAP 2.0 way, rather than with explicit permissions.
    var isLegacy: Bool

    /// CTAP 2.2 §6.5.2.1 maximum usage time period: tokens stop working after ten minutes.
    static let maximumLifetime: Int64 = 600_000

    /// verify(pinUvAuthToken, message, signature) of the given protocol (§6.5.6, §6.5.7).
    func verify(_ message: [UInt8], signature: [UInt8], protocol number: PinUvAuthProtocol) -> Bool {
        PinUvAuthProtocol.SharedSecret(pinUvAuthProtocol: number, bytes: token).verify(message, signature: signature)
    }
}

/// What a power cycle forgets (CTAP 2.2 §6.5.5.1 "initialize"): the key agreement key, the
/// pinUvAuthToken and the count of consecutive wrong PINs since power-up. The serve transport
/// answers the simulator's reboot packet by starting a new one.
struct PowerCycleState {
    var agreementKey: KeyAgreementKey?
    var token: PinUvAuthTokenState?
    /// Wrong PINs in a row since power-up; at three, PIN operations are blocked until the next
    /// power cycle (CTAP 2.2 §6.5.5.5, CTAP2_ERR_PIN_AUTH_BLOCKED).
    var consecutiveMismatches = 0

    static let mismatchesBeforePowerCycle = 3

    var pinAuthBlocked: Bool { consecutiveMismatches >= Self.mismatchesBeforePowerCycle }
}
