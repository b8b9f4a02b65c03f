import VauthWebAuthn

/// Where a call comes from, as the browser reports it: never from the page's payload.
public struct CallerContext: Sendable, Equatable {
    /// The calling frame's origin (its execution context's `origin`).
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
/// `isConditionalMediationAvailable()` answer (WebAuthn L3 §5.1.7, §5.1.6).
public struct BridgeCapabilities: Sendable {
    public var userVerifyingPlatformAuthenticator: Bool
    public var conditionalGet: Bool

    public init(userVerifyingPlatformAuthenticator: Bool, conditionalGet: Bool) {
        self.userVerifyingPlatformAuthenticator = userVerifyingPlatformAuthenticator
        self.conditionalGet = conditionalGet
    }
}

/// Runs one ceremony for the bridge. The CLI's implementation opens the keystore, runs
/// ``WebAuthnClient`` under the caller's context, and writes the keystore only on success.
public protocol CeremonyPerformer: Sendable {
    func create(_ options: PublicKeyCredentialCreationOptions, caller: CallerContext) throws -> RegistrationResponseJSON
    func get(_ options: PublicKeyCredentialRequestOptions, caller: CallerContext) throws -> AuthenticationResponseJSON
    func capabilities() -> BridgeCapabilities
}
