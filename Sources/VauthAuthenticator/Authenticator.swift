import VauthCBOR
import VauthCrypto

/// A CTAP2 authenticator: makeCredential, getAssertion, getNextAssertion, getInfo and the
/// key-agreement part of clientPIN, over a ``CredentialStore``.
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

    /// Loaded keys of recently used credentials. A long-lived authenticator signs from here without
    /// loading the key again; set its capacity to 0 to turn it off.
    public let keyCache = SigningKeyCache()

    var pendingAssertions: PendingAssertions?
    private var agreementKey: KeyAgreementKey?
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

    /// The key agreement key, made on first use and kept until the authenticator is discarded
    /// (CTAP 2.2 §6.5.5: regenerated at power-up).
    func keyAgreementKey() throws(CTAPError) -> KeyAgreementKey {
        if let agreementKey { return agreementKey }
        do {
            let key = try KeyAgreementKey.generate()
            agreementKey = key
            return key
        } catch {
            throw CTAPError(.other, "key agreement key: \(error)")
        }
    }

    /// Built-in user verification as the policy says (CTAP 2.2 §6.1.2 step 5, §6.2.2 step 5).
    func performUserVerification(requested: Bool) throws(CTAPError) -> Bool {
        guard requested else { return false }
        switch policy.userVerification {
        case .supported: return true
        case .unsupported: throw CTAPError(.invalidOption, "user verification was requested but this authenticator has none")
        case .refused: throw CTAPError(.operationDenied, "the user refused user verification")
        }
    }

    /// No PIN is ever set and no pinUvAuthToken issued, so a pinUvAuthParam cannot be valid.
    func rejectPinUvAuthParam(_ param: [UInt8]?, protocol number: Int?) throws(CTAPError) {
        guard let param else { return }
        if param.isEmpty { throw CTAPError(.pinNotSet, "no PIN is set on this authenticator") }
        guard let number else { throw CTAPError(.missingParameter, "pinUvAuthParam without pinUvAuthProtocol") }
        guard PinUvAuthProtocol(rawValue: number) != nil else { throw CTAPError(.invalidParameter, "PIN/UV auth protocol \(number) is not supported") }
        throw CTAPError(.pinAuthInvalid, "no pinUvAuthToken was issued by this authenticator")
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
