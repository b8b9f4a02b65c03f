import VauthWebAuthn

/// Where a call came from, as the browser reported it when the call arrived.
struct CallSource: Sendable, Hashable {
    /// The tab the call belongs to (its top-level target or browsing context): calls are bounded per page.
    let page: String
    /// The calling JavaScript realm, in the transport's terms (where the answer goes).
    let realm: String
    /// The realm's origin as the browser reported it.
    let origin: String
}

/// One browser protocol under the bridge: the DevTools Protocol (``DevToolsTransport``) or
/// WebDriver BiDi (``WebDriverBiDiTransport``). The transport installs ``InjectedScript`` in every
/// frame, hands each call to ``BridgeCore`` with its ``CallSource``, and answers for the core;
/// everything else — limits, ceremonies, staging, errors, the log — is the core's.
protocol BridgeTransport: Sendable {
    /// The browser's messages and rules.
    var profile: BrowserProfile { get }
    /// The caller's origin and whether it is cross-origin with its ancestors, from the browser.
    func caller(of source: CallSource) async throws -> CallerContext
    /// Whether Permissions Policy lets the caller's document use `feature` (L3 §5.9, §5.10).
    func permits(_ feature: String, for source: CallSource, caller: CallerContext) async throws -> Bool
    /// Calls the realm's answer function with (call, message); returns what it returned: whether
    /// the call was still waiting. Throws when the realm is gone or the browser did not answer.
    func deliver(_ message: JSONValue, call: Int, to source: CallSource) async throws -> Bool
}
