import VauthAuthenticator
import VauthWebAuthn

/// Why a call was refused, twice: the exception the page gets — the browser's name and the
/// browser's generic message for it, which tells a page nothing about which credentials exist
/// (WebAuthn L3 §14.5.1 registration ceremony privacy, §14.5.2 authentication ceremony privacy) —
/// and the detail, which goes to vauth's stderr only.
struct BridgeRefusal: Error, Sendable {
    /// `NotAllowedError`, `InvalidStateError`, `SecurityError`, `TypeError`, ….
    let name: String
    /// What the page reads in `error.message`.
    let pageMessage: String
    /// What vauth logs.
    let detail: String

    /// The refusal a browser gives for `error` (L3 §5.1.3, §5.1.4.1; WebIDL for TypeError).
    init(_ error: any Error, profile: BrowserProfile) {
        switch error {
        case let refusal as BridgeRefusal:
            self = refusal
        case let error as WebAuthnClientError:
            detail = error.message
            switch error.kind {
            case .syntax, .type:
                name = "TypeError"
                // The one TypeError the browser raises after WebIDL conversion (the injected
                // script lets the browser convert the options itself; the rest cannot reach here).
                pageMessage = error.message.hasPrefix("user.id") ? profile.userHandleTooLong
                    : "Failed to execute the request: the options are not valid."
            case .notSupported where error.ctapStatus == .unsupportedAlgorithm:
                // Chromium passes every listed algorithm to the authenticator and reports its
                // refusal as NotAllowedError (measured against its virtual authenticator).
                name = "NotAllowedError"
                pageMessage = profile.message(name)
            case .storage, .unknown:
                name = "UnknownError"
                pageMessage = profile.message(name)
            default:
                name = error.name
                pageMessage = profile.message(name)
            }
        default:
            name = "UnknownError"
            pageMessage = profile.message(name)
            detail = "\(error)"
        }
    }

    init(name: String, pageMessage: String, detail: String) {
        self.name = name
        self.pageMessage = pageMessage
        self.detail = detail
    }

    /// A refusal with the browser's message for `name`.
    static func named(_ name: String, _ detail: String, profile: BrowserProfile) -> BridgeRefusal {
        BridgeRefusal(name: name, pageMessage: profile.message(name), detail: detail)
    }

    /// The answer the injected script turns into the exception.
    var answer: JSONValue { ["error": .string(name), "message": .string(pageMessage)] }
}
