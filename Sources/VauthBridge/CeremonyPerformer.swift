import VauthWebAuthn

/// Where a call comes from, as the browser reports it: never from the page's payload.
public struct CallerContext: Sendable, Equatable {
    /// The calling frame's origin.
    public var origin: Origin
    /// Whether the frame is not same-origin with all its ancestors (WebAuthn L3 §5.8.1 `crossOrigin`).
    public var crossOrigin: Bool
    /// The top-level document's origin, when ``crossOrigin``.
    public var topOrigin: Origin?

    public init(origin: Origin, crossOrigin: Bool, topOrigin: Origin?) {
        self.origin = origin
        self.crossOrigin = crossOrigin
        self.topOrigin = topOrigin
    }
}

/// What `PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable()` and
/// `isConditionalMediationAvailable()` answer (WebAuthn L3 §5.1.7, §5.1.6). Fixed when vauth
/// attaches: the injected script answers them itself.
public struct BridgeCapabilities: Sendable {
    public var userVerifyingPlatformAuthenticator: Bool
    public var conditionalGet: Bool

    public init(userVerifyingPlatformAuthenticator: Bool, conditionalGet: Bool) {
        self.userVerifyingPlatformAuthenticator = userVerifyingPlatformAuthenticator
        self.conditionalGet = conditionalGet
    }
}

/// A registration made but not yet kept: the bridge commits it only once the page's call is known
/// to be still waiting, and discards it otherwise (an aborted, timed out or abandoned create()
/// must leave nothing behind, as `vauth create` removes a credential it cannot deliver).
public protocol StagedRegistration: AnyObject, Sendable {
    var response: RegistrationResponseJSON { get }
    /// Writes the credential.
    func commit() throws
    /// Forgets it; nothing was written.
    func discard()
    /// Deletes it again after a commit, when the page went away before it received it.
    func remove() throws
}

/// Runs ceremonies for the bridge, one at a time and on one thread (the bridge's ceremony queue):
/// the CLI's implementation opens the keystore, runs ``WebAuthnClient`` under the caller's
/// context, and writes the keystore only as described for each call.
public protocol CeremonyPerformer: Sendable {
    /// A registration, staged: nothing is written until ``StagedRegistration/commit()``.
    func create(_ options: PublicKeyCredentialCreationOptions, caller: CallerContext) throws -> any StagedRegistration
    /// An assertion; its counter is written before it is returned (a lost response keeps the
    /// increment, as a real authenticator does).
    func get(_ options: PublicKeyCredentialRequestOptions, caller: CallerContext) throws -> AuthenticationResponseJSON
    func capabilities() -> BridgeCapabilities
}
