import VauthWebAuthn

/// The bridge over WebDriver BiDi, for Firefox: joins a session the suite already drives, installs
/// ``InjectedScript`` with `script.addPreloadScript` (every later realm) and `script.callFunction`
/// (the realms open at the start), both with a `channel` argument, and hands the channel's
/// `script.message` events to the ``BridgeCore``. The caller's origin is the browser's: the
/// origin `script.realmCreated` / `script.getRealms` report for the message's `source.realm`.
/// Answers go back through `script.callFunction` in that realm. Facts behind this: docs/bridge.md
/// ("Firefox: WebDriver BiDi").
actor WebDriverBiDiTransport: BridgeTransport {
    nonisolated let profile = BrowserProfile.firefox
    private let connection: CommandConnection
    private let core: BridgeCore
    private let log: @Sendable (String) -> Void
    /// The channel's name: only this run knows it.
    private let channel: String
    private let declaration: String

    private struct Realm {
        let origin: String
        let context: String
    }

    /// Window realms (not sandboxes) by id, as the browser announced them.
    private var realms: [String: Realm] = [:]
    /// Each realm's answer function, as a remote-object handle.
    private var answerFunctions: [String: String] = [:]
    /// Each browsing context's parent (nil for a top-level one).
    private var parents: [String: String?] = [:]
    private var preloadScript: String?
    private var subscription: String?

    static let events = ["script.message", "script.realmCreated", "script.realmDestroyed",
                         "browsingContext.contextCreated", "browsingContext.contextDestroyed"]

    init(connection: CommandConnection, core: BridgeCore, capabilities: BridgeCapabilities, limits: BridgeLimits,
         log: @escaping @Sendable (String) -> Void) throws {
        self.connection = connection
        self.core = core
        self.log = log
        channel = try InjectedScript.randomName()
        declaration = InjectedScript.webDriverBiDi(profile: BrowserProfile.firefox.json(capabilities: capabilities, limits: limits))
    }

    private var channelArgument: JSONValue {
        ["type": "channel", "value": ["channel": .string(channel), "ownership": "root"]]
    }

    /// Serves until the connection ends. `ready` runs once the realms open at the start have the script.
    func serve(ready: @escaping @Sendable () -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.connection.pump() }
            group.addTask {
                for await event in self.connection.events { await self.handle(event) }
            }
            group.addTask {
                try await self.setUp()
                ready()
            }
            try await group.waitForAll()
        }
    }

    private func setUp() async throws {
        let subscribed = try await connection.send("session.subscribe", ["events": .array(Self.events.map { .string($0) })])
        subscription = subscribed["subscription"]?.stringValue
        let added = try await connection.send("script.addPreloadScript", [
            "functionDeclaration": .string(declaration), "arguments": [channelArgument],
        ])
        preloadScript = added["script"]?.stringValue
        let tree = try await connection.send("browsingContext.getTree", [:])
        record(tree["contexts"]?.arrayValue ?? [], parent: nil)
        let open = try await connection.send("script.getRealms", ["type": "window"])
        for realm in open["realms"]?.arrayValue ?? [] {
            guard realm["sandbox"] == nil, let id = realm["realm"]?.stringValue, let origin = realm["origin"]?.stringValue,
                  let context = realm["context"]?.stringValue else { continue }
            if realms[id] == nil { realms[id] = Realm(origin: origin, context: context) }
            // A realm made since the preload script was added has it already: a second copy
            // wraps the first and takes over its calls, which does no harm.
            _ = try? await connection.send("script.callFunction", [
                "functionDeclaration": .string(declaration), "arguments": [channelArgument],
                "target": ["realm": .string(id)], "awaitPromise": false, "resultOwnership": "none",
            ])
        }
    }

    private func record(_ contexts: [JSONValue], parent: String?) {
        for context in contexts {
            guard let id = context["context"]?.stringValue else { continue }
            parents[id] = .some(parent)
            record(context["children"]?.arrayValue ?? [], parent: id)
        }
    }

    /// Removes what vauth added to the session (the suite goes on using it), then closes.
    func close() async {
        if let preloadScript { _ = try? await connection.send("script.removePreloadScript", ["script": .string(preloadScript)]) }
        if let subscription {
            _ = try? await connection.send("session.unsubscribe", ["subscriptions": [.string(subscription)]])
        } else {
            _ = try? await connection.send("session.unsubscribe", ["events": .array(Self.events.map { .string($0) })])
        }
        await connection.close()
    }

    // MARK: - Events

    private func handle(_ event: ProtocolEvent) async {
        let params = event.params
        switch event.method {
        case "script.realmCreated":
            guard params["type"]?.stringValue == "window", params["sandbox"] == nil, let id = params["realm"]?.stringValue,
                  let origin = params["origin"]?.stringValue, let context = params["context"]?.stringValue else { return }
            realms[id] = Realm(origin: origin, context: context)
        case "script.realmDestroyed":
            if let id = params["realm"]?.stringValue {
                realms[id] = nil
                answerFunctions[id] = nil
            }
        case "browsingContext.contextCreated":
            if let id = params["context"]?.stringValue { parents[id] = .some(params["parent"]?.stringValue) }
        case "browsingContext.contextDestroyed":
            if let id = params["context"]?.stringValue { parents[id] = nil }
        case "script.message":
            guard params["channel"]?.stringValue == channel, let realm = params["source"]?["realm"]?.stringValue,
                  let data = params["data"] else { return }
            switch data["type"]?.stringValue {
            case "function":
                if let handle = data["handle"]?.stringValue { answerFunctions[realm] = handle }
            case "string":
                guard let payload = data["value"]?.stringValue else { return }
                // The origin is read now, from what the browser said about the realm.
                guard let known = realms[realm] else {
                    log("ignored a call from a realm the browser never announced")
                    return
                }
                let source = CallSource(page: top(of: known.context), realm: realm, origin: known.origin)
                await core.receive(payload, from: source, via: self)
            default:
                break
            }
        default:
            break
        }
    }

    private func top(of context: String) -> String {
        var current = context
        while let parent = parents[current], let parent { current = parent }
        return current
    }

    // MARK: - BridgeTransport

    /// The origins of the caller's ancestors, nearest first, with their browsing contexts.
    private func ancestors(of context: String) async throws -> [(context: String, origin: String)] {
        var chain: [(String, String)] = []
        var current = context
        while let parent = parents[current], let parent {
            let found = try await connection.send("script.getRealms", ["context": .string(parent), "type": "window"])
            let realm = found["realms"]?.arrayValue?.last { $0["sandbox"] == nil }
            chain.append((parent, realm?["origin"]?.stringValue ?? "null"))
            current = parent
        }
        return chain
    }

    func caller(of source: CallSource) async throws -> CallerContext {
        let origin: Origin
        do { origin = try Origin(source.origin) } catch {
            throw WebAuthnClientError(.security, "the calling document's origin \(source.origin) cannot use WebAuthn")
        }
        guard let context = realms[source.realm]?.context else { throw BridgeError.protocolError("the calling realm is gone") }
        let chain = try await ancestors(of: context)
        let crossOrigin = chain.contains { $0.origin != source.origin }
        return CallerContext(origin: origin, crossOrigin: crossOrigin, topOrigin: crossOrigin ? chain.last.flatMap { try? Origin($0.origin) } : nil)
    }

    /// Permissions Policy for an iframe (Permissions Policy §9.8, the `allow` attribute): each
    /// frame from the top down to the caller must be allowed the feature by its container, where a
    /// frame without a directive for it gets the default allowlist `'self'` (same origin as its
    /// parent). The `allow` attributes are read in a sandbox of the parent document, where the
    /// page's own scripts cannot change what the DOM reports.
    func permits(_ feature: String, for source: CallSource, caller: CallerContext) async throws -> Bool {
        guard let context = realms[source.realm]?.context else { return false }
        var child = (context: context, origin: source.origin)
        for parent in try await ancestors(of: context) {
            let frames = try await connection.send("script.callFunction", [
                "functionDeclaration": "() => Array.from(document.querySelectorAll('iframe, frame'), (e) => [e.contentWindow, e.getAttribute('allow') || '', e.src || ''])",
                "target": ["context": .string(parent.context), "sandbox": "vauth-permissions-policy"],
                "awaitPromise": false, "resultOwnership": "none", "serializationOptions": ["maxObjectDepth": 2],
            ])
            let entries = frames["result"]?["value"]?.arrayValue ?? []
            let entry = entries.first { $0["value"]?.arrayValue?.first?["value"]?["context"]?.stringValue == child.context }
            let items = entry?["value"]?.arrayValue ?? []
            let allow = items.count > 1 ? items[1]["value"]?.stringValue ?? "" : ""
            let src = items.count > 2 ? items[2]["value"]?.stringValue ?? "" : ""
            guard PermissionsPolicy.allows(feature, allowAttribute: allow, childOrigin: child.origin, parentOrigin: parent.origin,
                                           sourceOrigin: (try? Origin(src))?.serialized) else { return false }
            child = parent
        }
        return true
    }

    func deliver(_ message: JSONValue, call: Int, to source: CallSource) async throws -> Bool {
        guard let function = answerFunctions[source.realm] else { throw BridgeError.protocolError("the calling realm has no vauth script") }
        let result = try await connection.send("script.callFunction", [
            "functionDeclaration": "function (call, message) { return this(call, message); }",
            "this": ["handle": .string(function)],
            "arguments": [["type": "number", "value": .number(Double(call))],
                          ["type": "string", "value": .string(JSONSerializer.serialize(message, style: .compact))]],
            "target": ["realm": .string(source.realm)], "awaitPromise": false, "resultOwnership": "none",
        ])
        guard result["type"]?.stringValue == "success" else { return false }
        return result["result"]?["value"]?.boolValue ?? false
    }
}

/// The `allow` attribute's rule for one feature (Permissions Policy, "parse-policy-directive" and
/// "is feature enabled in document for origin").
enum PermissionsPolicy {
    static func allows(_ feature: String, allowAttribute: String, childOrigin: String, parentOrigin: String, sourceOrigin: String?) -> Bool {
        for directive in allowAttribute.split(separator: ";") {
            let tokens = directive.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
            guard let name = tokens.first, name == feature else { continue }
            let allowlist = tokens.dropFirst().isEmpty ? ["'src'"] : Array(tokens.dropFirst())
            for item in allowlist {
                switch item.lowercased() {
                case "*": return true
                case "'none'": return false
                case "'self'": if childOrigin == parentOrigin { return true }
                case "'src'": if childOrigin == (sourceOrigin ?? childOrigin) { return true }
                default: if (try? Origin(item))?.serialized == childOrigin { return true }
                }
            }
            return false
        }
        // The feature's default allowlist, 'self' (WebAuthn L3 §5.9, §5.10).
        return childOrigin == parentOrigin
    }
}
