import VauthCBOR
import VauthCrypto

/// A CTAP2 authenticator: makeCredential, getAssertion, getNextAssertion, getInfo, clientPIN,
/// credentialManagement, selection, reset and authenticatorConfig, plus U2F (CTAP1) messages,
/// over a ``CredentialStore`` and a ``PINStateStore``.
///
/// The same instance serves the in-process WebAuthn client (through the typed methods) and a
/// transport (through ``handle(_:)``, bytes in, status and bytes out). It is not thread-safe: a
/// transport serialises requests, as a real token's firmware does.
public final class Authenticator {
    /// The AAGUID (getInfo, attested credential data); the rest of the identity is ``identity``.
    public let aaguid: AAGUID
    public var policy: AuthenticatorPolicy
    public let store: any CredentialStore

    /// Milliseconds since the Unix epoch; replaceable so fixtures are deterministic.
    public var clock: () -> Int64
    /// Random bytes for credential ids and hmac-secret keys; replaceable for fixtures.
    public var randomBytes: (Int) throws -> [UInt8]
    /// Makes credential key pairs; replaceable for fixtures.
    public var keyGenerator: (COSEAlgorithm) throws -> SigningKey
    /// Signs assertions and attestation statements; replaceable so fixtures get deterministic
    /// ECDSA (RFC 6979) instead of OpenSSL's random nonces.
    public var signer: (SigningKey, [UInt8]) throws -> [UInt8]
    /// Per-command overrides of the stored per-credential counter mode and BS flag.
    public var counterOverride: SignCounterMode?
    public var backedUpOverride: Bool?

    /// Loaded keys of recently used credentials. A long-lived authenticator (`vauth serve`, a
    /// browser bridge) signs from here without loading the key again; capacity 0 turns it off.
    public let keyCache = SigningKeyCache()
    /// Where the PIN and its retries counter live (the keystore, for `vauth serve`).
    public var pinStore: any PINStateStore = InMemoryPINStateStore()
    /// Whether authenticatorReset may wipe the store (`vauth serve --allow-reset`); otherwise it
    /// is refused with CTAP2_ERR_OPERATION_DENIED.
    public var allowsReset = false
    /// getInfo's transports: "internal" for the in-process platform authenticator (what the
    /// WebAuthn client reports for its platform attachment), "usb" when served over CTAPHID.
    public var transports: [String] = ["internal"]

    var pendingAssertions: PendingAssertions?
    var pendingCredentialEnumeration = PendingEnumeration()
    var powerCycleState = PowerCycleState()
    private var cachedPINState: PINState?
    private var loadedIdentity: AuthenticatorIdentity?
    private let identityLoader: () throws -> AuthenticatorIdentity

    /// An authenticator with its identity at hand.
    public convenience init(identity: AuthenticatorIdentity, policy: AuthenticatorPolicy = .init(), store: any CredentialStore,
                            clock: @escaping () -> Int64 = Authenticator.systemClock) {
        self.init(aaguid: identity.aaguid, loadingIdentity: { identity }, policy: policy, store: store, clock: clock)
        loadedIdentity = identity
    }

    /// An authenticator that reads its identity (attestation keys and certificates) only when it
    /// attests with them (packed x5c), so an assertion never pays for decoding them.
    public init(aaguid: AAGUID, loadingIdentity identityLoader: @escaping () throws -> AuthenticatorIdentity,
                policy: AuthenticatorPolicy = .init(), store: any CredentialStore,
                clock: @escaping () -> Int64 = Authenticator.systemClock) {
        self.aaguid = aaguid
        self.identityLoader = identityLoader
        self.policy = policy
        self.store = store
        self.clock = clock
        self.randomBytes = { count in try SecureRandom.bytes(count) }
        self.keyGenerator = { algorithm in try SigningKey.generate(algorithm) }
        self.signer = { key, message in try key.sign(message) }
    }

    /// Wall-clock milliseconds since the Unix epoch.
    @Sendable public static func systemClock() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }

    func now() -> Int64 { clock() }

    /// Who the authenticator is: AAGUID and attestation chain, loaded on first use.
    public var identity: AuthenticatorIdentity {
        get throws(CTAPError) {
            if let loadedIdentity { return loadedIdentity }
            do {
                let identity = try identityLoader()
                loadedIdentity = identity
                return identity
            } catch {
                throw CTAPError(.other, "authenticator identity: \(error)")
            }
        }
    }

    /// The key agreement key, made on first use and kept until the next power cycle
    /// (CTAP 2.2 §6.5.5.1: regenerated at power-up, and after a wrong PIN).
    func keyAgreementKey() throws(CTAPError) -> KeyAgreementKey {
        if let key = powerCycleState.agreementKey { return key }
        do {
            let key = try KeyAgreementKey.generate()
            powerCycleState.agreementKey = key
            return key
        } catch {
            throw CTAPError(.other, "key agreement key: \(error)")
        }
    }

    /// Forgets what a power cycle forgets (the key agreement key, the pinUvAuthToken, the
    /// consecutive wrong-PIN count, a pending getNextAssertion); keeps credentials and the PIN.
    public func powerCycle() {
        powerCycleState = PowerCycleState()
        pendingAssertions = nil
        pendingCredentialEnumeration = PendingEnumeration()
        cachedPINState = nil
    }

    /// The PIN state, read once from the store.
    public func pinState() throws(CTAPError) -> PINState {
        if let cachedPINState { return cachedPINState }
        do {
            let state = try pinStore.loadPINState()
            cachedPINState = state
            return state
        } catch {
            throw .store(error, "read the PIN state")
        }
    }

    /// Writes the PIN state through to the store before anything depends on it.
    func savePINState(_ state: PINState) throws(CTAPError) {
        do { try pinStore.savePINState(state) } catch { throw .store(error, "save the PIN state") }
        cachedPINState = state
    }

    /// Whether a PIN is set (getInfo's clientPin: true).
    public var isPINSet: Bool { (try? pinState().isSet) ?? false }

    /// "Protected by some form of user verification" (CTAP 2.2 §6.1.2 step 6): a PIN is set or
    /// the built-in UV method is configured.
    var isProtectedByUserVerification: Bool { isPINSet || policy.userVerification != .unsupported }

    /// Built-in user verification as the policy says (CTAP 2.2 §6.1.2 step 5, §6.2.2 step 5).
    func performUserVerification(requested: Bool) throws(CTAPError) -> Bool {
        guard requested else { return false }
        switch policy.userVerification {
        case .supported: return true
        case .unsupported: throw CTAPError(.invalidOption, "user verification was requested but this authenticator has none")
        case .refused: throw CTAPError(.operationDenied, "the user refused user verification")
        }
    }

    /// Steps 1–2 of makeCredential and getAssertion (CTAP 2.2 §6.1.2, §6.2.2): a zero-length
    /// pinUvAuthParam asks whether a PIN is set (after a touch, which is always granted); any
    /// other needs a supported pinUvAuthProtocol.
    func checkPinUvAuthParamPresence(_ param: [UInt8]?, protocol number: Int?) throws(CTAPError) -> PinUvAuthProtocol? {
        guard let param else { return nil }
        if param.isEmpty {
            if isPINSet { throw CTAPError(.pinInvalid, "zero-length pinUvAuthParam: a PIN is set") }
            throw CTAPError(.pinNotSet, "zero-length pinUvAuthParam: no PIN is set on this authenticator")
        }
        guard let number else { throw CTAPError(.missingParameter, "pinUvAuthParam without pinUvAuthProtocol") }
        guard let pinUvAuthProtocol = PinUvAuthProtocol(rawValue: number) else {
            throw CTAPError(.invalidParameter, "PIN/UV auth protocol \(number) is not supported")
        }
        return pinUvAuthProtocol
    }

    /// verify(pinUvAuthToken, clientDataHash, pinUvAuthParam), then the token's permission and
    /// RP binding (CTAP 2.2 §6.1.2 step 11, §6.2.2 step 9). A token not yet bound to an RP is
    /// bound to this one.
    func verifyPinUvAuthParam(_ param: [UInt8], protocol number: PinUvAuthProtocol, clientDataHash: [UInt8],
                              permission: PinUvAuthPermissions, rpId: String) throws(CTAPError) {
        guard var token = powerCycleState.token, now() - token.issuedAt <= PinUvAuthTokenState.maximumLifetime else {
            throw CTAPError(.pinAuthInvalid, "no pinUvAuthToken is in use (none issued since power-up, or it expired)")
        }
        guard token.verify(clientDataHash, signature: param, protocol: number) else {
            throw CTAPError(.pinAuthInvalid, "pinUvAuthParam does not verify under the pinUvAuthToken")
        }
        guard token.permissions.contains(permission) else {
            throw CTAPError(.pinAuthInvalid, "the pinUvAuthToken lacks the permission for this command")
        }
        if let bound = token.rpId, bound != rpId {
            throw CTAPError(.pinAuthInvalid, "the pinUvAuthToken was issued for another RP")
        }
        // A token from the CTAP 2.0 getPinToken is not bound: 2.0 platforms reuse it across RPs.
        if !token.isLegacy { token.rpId = rpId }
        powerCycleState.token = token
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
