import Foundation

/// The WebSocket of a WebDriver BiDi session a suite already drives: `webSocketUrl` from the
/// session's capabilities (WebDriver BiDi §"Establishing a Connection"), e.g.
/// `ws://127.0.0.1:9222/session/5be97f76-…`. A second client may connect to it and work in the
/// same session (docs/bridge.md); a session made with BiDi's own `session.new` cannot be joined.
public enum WebDriverBiDiSession {
    /// Checks `text` is `ws://host:port/session/ID`.
    public static func parseAddress(_ text: String) throws(BridgeError) -> URL {
        guard let url = URL(string: text), url.scheme == "ws", let host = url.host, !host.isEmpty, url.port != nil,
              url.path.hasPrefix("/session/"), url.path.count > "/session/".count else {
            throw .badEndpoint("--bidi needs a WebDriver BiDi session's WebSocket as ws://host:port/session/ID (its webSocketUrl capability), not \"\(text)\"")
        }
        return url
    }
}
