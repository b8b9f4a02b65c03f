import VauthAuthenticator

/// Why a WebAuthn ceremony failed: the one error type of this module.
///
/// A browser rejects `navigator.credentials.create()` / `get()` with a `DOMException` (or a
/// `TypeError` from WebIDL conversion); ``Kind`` names the same categories, so a caller can tell
/// "the RP asked for something this authenticator cannot do" (``Kind/notAllowed``,
/// ``Kind/invalidState``) from "the input was wrong" or "the machine is broken".
public struct WebAuthnClientError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        /// Malformed JSON, a missing or mistyped member, a value that is not base64url.
        case syntax
        /// A value WebIDL or the algorithm rejects with a `TypeError` (user.id length, an empty challenge).
        case type
        /// `SecurityError`: the origin is not a secure context, or it may not claim the rpId.
        case security
        /// `NotAllowedError`: the authenticator refused, found no credential, or cannot verify the user.
        case notAllowed
        /// `InvalidStateError`: a credential from excludeCredentials is already on the authenticator.
        case invalidState
        /// `NotSupportedError`: no requested algorithm is supported, or an extension input is not allowed here.
        case notSupported
        /// The credential store failed (a corrupt or unreadable keystore); ``underlying`` has its error.
        case storage
        /// `UnknownError`: the client's environment or an internal step failed (an unreadable public
        /// suffix list, a signature that could not be made).
        case unknown
    }

    public let kind: Kind
    /// One line, for a human.
    public let message: String
    /// The error behind this one: the credential store's own error for ``Kind/storage``, the
    /// ``CTAPError`` for errors the authenticator reported.
    public let underlying: (any Error)?

    public init(_ kind: Kind, _ message: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    /// The name a browser gives the exception: `NotAllowedError`, `TypeError`, ….
    public var name: String {
        switch kind {
        case .syntax: return "SyntaxError"
        case .type: return "TypeError"
        case .security: return "SecurityError"
        case .notAllowed: return "NotAllowedError"
        case .invalidState: return "InvalidStateError"
        case .notSupported: return "NotSupportedError"
        case .storage: return "StorageError"
        case .unknown: return "UnknownError"
        }
    }

    /// The CTAP status, when the authenticator reported the failure.
    public var ctapStatus: CTAPStatus? { (underlying as? CTAPError)?.status }

    public var description: String { "\(name): \(message)" }

    static func syntax(_ message: String) -> WebAuthnClientError { .init(.syntax, message) }
    static func type(_ message: String) -> WebAuthnClientError { .init(.type, message) }
    static func security(_ message: String) -> WebAuthnClientError { .init(.security, message) }
    static func notAllowed(_ message: String) -> WebAuthnClientError { .init(.notAllowed, message) }
    static func notSupported(_ message: String) -> WebAuthnClientError { .init(.notSupported, message) }
    static func unknown(_ message: String) -> WebAuthnClientError { .init(.unknown, message) }
}
