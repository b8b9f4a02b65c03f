import VauthCrypto

/// What an authenticator remembers about its PIN across power cycles (CTAP 2.2 §6.5.2): the
/// PIN's hash LEFT(SHA-256(PIN), 16), the retries counter, the minimum length and whether the
/// PIN must be changed before it can be used again.
public struct PINState: Sendable {
    /// CTAP 2.2 §6.5.2: maxPINRetries, the value the counter starts at and returns to.
    public static let maximumRetries = 8
    /// CTAP 2.2 §6.5.1: the default minimum PIN length, in Unicode code points.
    public static let defaultMinimumLength = 4

    /// LEFT(SHA-256(PIN), 16); nil while no PIN is set.
    public var pinHash: SecretBytes?
    /// The PIN's length in code points, so raising the minimum can force a change.
    public var pinLength: Int
    /// pinRetries: counts down on every PIN attempt and is restored on a correct one.
    public var retries: Int
    /// The minimum PIN length in code points (authenticatorConfig setMinPINLength may raise it).
    public var minimumLength: Int
    /// forcePINChange: getting a token fails with CTAP2_ERR_PIN_POLICY_VIOLATION until changePIN.
    public var forceChange: Bool

    public init(pinHash: SecretBytes? = nil, pinLength: Int = 0, retries: Int = PINState.maximumRetries,
                minimumLength: Int = PINState.defaultMinimumLength, forceChange: Bool = false) {
        self.pinHash = pinHash
        self.pinLength = pinLength
        self.retries = retries
        self.minimumLength = minimumLength
        self.forceChange = forceChange
    }

    public var isSet: Bool { pinHash != nil }

    /// LEFT(SHA-256(pin), 16), the form the PIN is kept and compared in.
    public static func hash(of pin: some Collection<UInt8>) -> SecretBytes {
        SecretBytes(SHA256.hash(pin).prefix(16))
    }
}

/// Where the PIN state lives. The keystore keeps it sealed next to the identity, so it survives
/// a restart of `vauth serve`; every change must be durable when ``savePINState(_:)`` returns
/// (the retries counter is decremented before a PIN is compared, CTAP 2.2 §6.5.5.5).
public protocol PINStateStore: AnyObject {
    func loadPINState() throws -> PINState
    func savePINState(_ state: PINState) throws
}

/// PIN state in process memory, for tests and the in-process authenticator.
public final class InMemoryPINStateStore: PINStateStore {
    private var state: PINState

    public init(_ state: PINState = PINState()) {
        self.state = state
    }

    public func loadPINState() -> PINState { state }
    public func savePINState(_ state: PINState) { self.state = state }
}
