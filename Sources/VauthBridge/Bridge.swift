import Foundation
import VauthWebAuthn

/// vauth as the authenticator of a running browser: attaches through the browser's automation
/// protocol, installs ``InjectedScript`` in every frame, and answers the pages'
/// `navigator.credentials.create()` / `get()` with a ``CeremonyPerformer``. One ``BridgeCore``
/// does the work; ``DevToolsTransport`` (Chromium) and ``WebDriverBiDiTransport`` (Firefox)
/// speak the protocols.
public actor Bridge {
    /// The browser to attach to.
    public enum Browser: Sendable {
        /// Chromium's DevTools endpoint (`--remote-debugging-port`).
        case devTools(DevToolsEndpoint)
        /// A WebDriver BiDi session's WebSocket, `ws://host:port/session/ID` (Firefox).
        case webDriverBiDi(URL)
    }

    private let browser: Browser
    private let core: BridgeCore
    private let limits: BridgeLimits
    private let log: @Sendable (String) -> Void
    private var close: (@Sendable () async -> Void)?
    private var stopping = false

    public init(browser: Browser, performer: any CeremonyPerformer, limits: BridgeLimits = .init(),
                log: @escaping @Sendable (String) -> Void) {
        self.browser = browser
        self.limits = limits
        self.log = log
        core = BridgeCore(performer: performer, limits: limits, log: log)
    }

    /// Calls answered, for the log's last line.
    public var answered: Int { get async { await core.answered } }

    /// Connects and serves until ``stop()`` or until the browser goes away. `ready` runs once the
    /// pages open at the start are instrumented.
    public func run(ready: @escaping @Sendable () -> Void = {}) async throws {
        let url: URL
        switch browser {
        case .devTools(let endpoint): url = endpoint.webSocketURL
        case .webDriverBiDi(let session): url = session
        }
        guard let host = url.host else { throw BridgeError.badEndpoint("no host in \(url)") }
        let port = url.port ?? 80
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        let capabilities = await core.capabilities
        do {
            try await WebSocketConnection.withConnection(host: host, port: port, path: path) { socket in
                switch self.browser {
                case .devTools:
                    let connection = CommandConnection(socket: socket)
                    let transport = try DevToolsTransport(connection: connection, core: self.core, capabilities: capabilities,
                                                          limits: self.limits, log: self.log)
                    guard await self.opened({ await connection.close() }) else { return }
                    try await transport.serve(ready: ready)
                case .webDriverBiDi:
                    let connection = CommandConnection(socket: socket)
                    let transport = try WebDriverBiDiTransport(connection: connection, core: self.core, capabilities: capabilities,
                                                               limits: self.limits, log: self.log)
                    guard await self.opened({ await transport.close() }) else { return }
                    try await transport.serve(ready: ready)
                }
            }
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError.unreachable("cannot open the WebSocket \(url.absoluteString): \(error)")
        }
        close = nil
    }

    /// Records how to close; false when ``stop()`` came first.
    private func opened(_ close: @escaping @Sendable () async -> Void) -> Bool {
        self.close = close
        return !stopping
    }

    /// Closes the connection cleanly (a WebDriver BiDi session, which the suite keeps using, gets
    /// its preload script and subscriptions removed first); ``run(ready:)`` then returns.
    public func stop() async {
        stopping = true
        await close?()
    }
}
