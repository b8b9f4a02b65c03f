import VauthWebAuthn

/// What the page must see from the browser vauth stands in for: the messages its DOMExceptions
/// carry, what it does with a second request while one is pending, and its default timeout.
/// Measured with each browser (docs/bridge.md, "What the page sees"); the page learns nothing
/// else: the detail of a refusal goes to vauth's stderr only (WebAuthn L3 §14.5.1–14.5.2).
public struct BrowserProfile: Sendable {
    /// "Chromium" or "Firefox", for messages.
    public let name: String
    /// The message of each DOMException name the bridge rejects with.
    let messages: [String: String]
    /// The TypeError a too long `user.id` gets (a check the browser makes after WebIDL conversion).
    let userHandleTooLong: String
    /// What happens to a request made while another is pending in the same frame.
    let concurrency: Concurrency
    /// The timeout when the options have none, in milliseconds.
    let defaultTimeout: Int

    enum Concurrency: String, Sendable {
        /// Chromium: the new request fails with OperationError, except that a modal request ends
        /// a pending conditional one (with NotAllowedError) and goes ahead.
        case refuseNew = "refuse-new"
        /// Firefox: the pending request is aborted (AbortError) and the new one goes ahead.
        case abortPending = "abort-pending"
    }

    /// Chromium 156, measured against its own virtual authenticator (`WebAuthn.addVirtualAuthenticator`).
    /// Without a timeout in the options Chromium waits 10 minutes (`AdjustTimeout`); with one,
    /// and its testing API on, it uses the page's value as given, as vauth does.
    public static let chromium = BrowserProfile(
        name: "Chromium",
        messages: [
            "NotAllowedError": "The operation either timed out or was not allowed. See: https://www.w3.org/TR/webauthn-2/#sctn-privacy-considerations-client.",
            "InvalidStateError": "The user attempted to register an authenticator that contains one of the credentials already registered with the relying party.",
            "SecurityError": "The relying party ID is not a registrable domain suffix of, nor equal to the current domain. Subsequently, an attempt to fetch the .well-known/webauthn resource of the claimed RP ID failed.",
            "OperationError": "A request is already pending.",
            "NotSupportedError": "The user agent does not support this operation.",
            "UnknownError": "An unknown error occurred while talking to the credential manager.",
            "AbortError": "signal is aborted without reason",
            "PermissionsPolicy.create": "The 'publickey-credentials-create' feature is not enabled in this document. Permissions Policy may be used to delegate Web Authentication capabilities to cross-origin child frames.",
            "PermissionsPolicy.get": "The 'publickey-credentials-get' feature is not enabled in this document. Permissions Policy may be used to delegate Web Authentication capabilities to cross-origin child frames.",
        ],
        userHandleTooLong: "User handle exceeds 64 bytes.",
        concurrency: .refuseNew,
        defaultTimeout: 600_000)

    /// Firefox ESR 153, measured where its WebDriver virtual authenticator answers (WebIDL,
    /// origin and policy checks, timeouts, concurrent requests); Gecko's default DOMException
    /// messages otherwise. Firefox waits 30 s without a timeout (`WebAuthnTimeout`) and clamps a
    /// given one to 15–120 s; vauth uses the page's value as given, as a testing authenticator.
    public static let firefox = BrowserProfile(
        name: "Firefox",
        messages: [
            "NotAllowedError": "The request is not allowed by the user agent or the platform in the current context, possibly because the user denied permission.",
            "InvalidStateError": "An attempt was made to use an object that is not, or is no longer, usable",
            "SecurityError": "The operation is insecure.",
            "OperationError": "The operation failed for an operation-specific reason",
            "NotSupportedError": "Operation is not supported",
            "UnknownError": "The operation failed for an unknown transient reason (e.g. out of memory).",
            "AbortError": "The operation was aborted. ",
            "PermissionsPolicy.create": "CredentialsContainer request is not allowed.",
            "PermissionsPolicy.get": "CredentialsContainer request is not allowed.",
        ],
        userHandleTooLong: "user.id is too long",
        concurrency: .abortPending,
        defaultTimeout: 30_000)

    /// The message of `name`, or NotAllowedError's when the browser has none for it.
    func message(_ name: String) -> String { messages[name] ?? messages["NotAllowedError"] ?? "" }

    /// The profile as the injected script reads it.
    func json(capabilities: BridgeCapabilities, limits: BridgeLimits) -> JSONValue {
        .object([
            ("messages", .object(messages.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.string($0.value)) })),
            ("concurrency", .string(concurrency.rawValue)),
            ("defaultTimeout", .number(Double(defaultTimeout))),
            ("maxCallLength", .number(Double(limits.maxCallBytes))),
            ("uvpaa", .bool(capabilities.userVerifyingPlatformAuthenticator)),
            ("conditional", .bool(capabilities.conditionalGet)),
        ])
    }
}

/// How much a page may ask of vauth at once (issue: a page made vauth hold gigabytes).
public struct BridgeLimits: Sendable {
    /// The largest call a page may send, in bytes of its JSON form. Real options are a few
    /// kilobytes; a 1,000-entry excludeCredentials list about 100 KiB.
    public var maxCallBytes = 512 << 10
    /// Calls of one page (a tab and its frames) that may wait for or run a ceremony at once; a
    /// frame has at most one (the injected script keeps to the browser's one-request rule).
    public var callsPerPage = 4
    /// Calls of all pages together.
    public var callsInAll = 16

    public init() {}
}
