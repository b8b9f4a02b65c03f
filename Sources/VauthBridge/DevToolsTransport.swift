import VauthWebAuthn

/// The bridge over the Chrome DevTools Protocol, for Chromium: attaches to every page and frame,
/// installs ``InjectedScript`` before the page's scripts, and hands the script's calls to the
/// ``BridgeCore`` with the origin the browser reports.
///
/// The attach sequence and the protocol facts behind it are in docs/bridge.md ("Chromium: the
/// DevTools Protocol"): browser-level `Target.setAutoAttach` (flatten, wait for the debugger),
/// then per page or iframe session `Runtime.enable`, `Page.enable` (without it the script is
/// accepted but never runs in the page's later documents), `Runtime.addBinding`,
/// `Page.addScriptToEvaluateOnNewDocument` (runImmediately), a nested `Target.setAutoAttach`, and
/// `Runtime.runIfWaitingForDebugger`.
actor DevToolsTransport: BridgeTransport {
    nonisolated let profile = BrowserProfile.chromium
    private let connection: CommandConnection
    private let core: BridgeCore
    private let log: @Sendable (String) -> Void
    private var registry = FrameRegistry()
    /// Names only this run knows: the binding the script takes (and deletes from the page's
    /// global object at once) and the event type its answer function listens for.
    private let bindingName: String
    private let listenerType: String
    private let script: String
    /// The answer function of each execution context ("session|context id" → remote object id).
    private var answerFunctions: [String: String] = [:]

    init(connection: CommandConnection, core: BridgeCore, capabilities: BridgeCapabilities, limits: BridgeLimits,
         log: @escaping @Sendable (String) -> Void) throws {
        self.connection = connection
        self.core = core
        self.log = log
        bindingName = "__" + (try InjectedScript.randomName())
        listenerType = try InjectedScript.randomName()
        script = InjectedScript.devTools(binding: bindingName, listenerType: listenerType,
                                         profile: BrowserProfile.chromium.json(capabilities: capabilities, limits: limits))
    }

    /// Serves until the connection ends. `ready` runs once the pages open at the start are instrumented.
    func serve(ready: @escaping @Sendable () -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.connection.pump() }
            group.addTask {
                for await event in self.connection.events { await self.handle(event) }
                await self.eventsEnded()
            }
            group.addTask {
                try await self.connection.send("Target.setAutoAttach", Self.autoAttachParameters)
                // The browser announces the targets open already before it answers; once the event
                // loop has handled those announcements, wait for their instrumentation to finish.
                await self.waitForEventsSoFar()
                await self.waitForInstrumentation()
                ready()
            }
            try await group.waitForAll()
        }
    }

    static let autoAttachParameters: JSONValue = ["autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true]

    // MARK: - Events

    private var instrumenting = 0
    private var instrumentationWaiters: [CheckedContinuation<Void, Never>] = []
    private var barrierWaiters: [CheckedContinuation<Void, Never>] = []

    private func waitForEventsSoFar() async {
        await withCheckedContinuation { continuation in
            barrierWaiters.append(continuation)
            connection.barrier()
        }
    }

    /// The connection is gone: nobody waits for events that will not come.
    private func eventsEnded() {
        for waiter in barrierWaiters { waiter.resume() }
        barrierWaiters = []
    }

    private func waitForInstrumentation() async {
        if instrumenting == 0 { return }
        await withCheckedContinuation { instrumentationWaiters.append($0) }
    }

    private func handle(_ event: ProtocolEvent) async {
        registry.record(event)
        switch event.method {
        case CommandConnection.barrierMethod:
            if !barrierWaiters.isEmpty { barrierWaiters.removeFirst().resume() }
        case "Target.attachedToTarget":
            guard let session = event.params["sessionId"]?.stringValue, let info = event.params["targetInfo"],
                  let targetId = info["targetId"]?.stringValue else { return }
            let type = info["type"]?.stringValue ?? ""
            registry.attached(session: session, targetId: targetId, type: type, parent: event.sessionId)
            if type == "page" || type == "iframe" {
                instrumenting += 1
                Task { await self.instrument(session: session) }
            } else {
                // Workers, browser UI and the rest: nothing to install, but they wait for us.
                connection.post("Runtime.runIfWaitingForDebugger", session: session)
            }
        case "Target.detachedFromTarget":
            if let session = event.params["sessionId"]?.stringValue {
                registry.detached(session: session)
                answerFunctions = answerFunctions.filter { !$0.key.hasPrefix(session + "|") }
            }
        case "Runtime.executionContextDestroyed":
            if let session = event.sessionId, let id = event.params["executionContextId"]?.numberValue {
                answerFunctions["\(session)|\(Int(id))"] = nil
            }
        case "Runtime.executionContextsCleared":
            if let session = event.sessionId { answerFunctions = answerFunctions.filter { !$0.key.hasPrefix(session + "|") } }
        case "Runtime.bindingCalled":
            guard let session = event.sessionId, event.params["name"]?.stringValue == bindingName,
                  let payload = event.params["payload"]?.stringValue,
                  let contextId = event.params["executionContextId"]?.numberValue else { return }
            // The origin is read now, while the context is the one that called.
            guard let context = registry.context(session: session, id: Int(contextId)) else {
                log("ignored a call from an execution context the browser never announced")
                return
            }
            let source = CallSource(page: registry.page(of: session), realm: "\(session)|\(Int(contextId))", origin: context.origin)
            await core.receive(payload, from: source, via: self)
        default:
            break
        }
    }

    private func instrument(session: String) async {
        defer {
            instrumenting -= 1
            if instrumenting == 0 {
                for waiter in instrumentationWaiters { waiter.resume() }
                instrumentationWaiters = []
            }
        }
        do {
            try await connection.send("Runtime.enable", session: session)
            try await connection.send("Page.enable", session: session)
            try await connection.send("Runtime.addBinding", ["name": .string(bindingName)], session: session)
            try await connection.send("Page.addScriptToEvaluateOnNewDocument", ["source": .string(script), "runImmediately": true],
                                      session: session)
            try await connection.send("Target.setAutoAttach", Self.autoAttachParameters, session: session)
        } catch {
            // Most often a target that closed while being attached: nothing to serve then.
            if registry.sessions[session] != nil { log("could not instrument a \(registry.sessions[session]?.type ?? "") target: \(error)") }
        }
        connection.post("Runtime.runIfWaitingForDebugger", session: session)
    }

    // MARK: - BridgeTransport

    private func parts(_ realm: String) throws -> (session: String, context: Int) {
        let pieces = realm.split(separator: "|")
        guard pieces.count == 2, let context = Int(pieces[1]) else { throw BridgeError.protocolError("no such execution context \(realm)") }
        return (String(pieces[0]), context)
    }

    /// The caller's origin, and whether it is cross-origin with its ancestors, from the frame
    /// trees of its session and the sessions above it (an out-of-process iframe's target id is its
    /// frame id in the parent's tree).
    func caller(of source: CallSource) async throws -> CallerContext {
        let (session, contextId) = try parts(source.realm)
        let origin: Origin
        do { origin = try Origin(source.origin) } catch {
            throw WebAuthnClientError(.security, "the calling document's origin \(source.origin) cannot use WebAuthn")
        }
        var ancestors: [String] = []
        var top = source.origin
        var currentSession: String? = session
        var frameId = registry.context(session: session, id: contextId)?.frameId
        while let sessionId = currentSession {
            guard let tree = FrameTree(try await connection.send("Page.getFrameTree", session: sessionId)["frameTree"] ?? [:]) else { break }
            let path = frameId.map { tree.path(to: $0) } ?? []
            if path.isEmpty {
                ancestors.append(tree.securityOrigin)
            } else {
                ancestors.append(contentsOf: path.dropLast().map(\.securityOrigin))
            }
            top = tree.securityOrigin
            guard let info = registry.sessions[sessionId], let parent = info.parent,
                  let parentInfo = registry.sessions[parent], parentInfo.type == "page" || parentInfo.type == "iframe" else { break }
            frameId = info.targetId
            currentSession = parent
        }
        let crossOrigin = ancestors.contains { $0 != source.origin }
        return CallerContext(origin: origin, crossOrigin: crossOrigin, topOrigin: crossOrigin ? try? Origin(top) : nil)
    }

    /// By default the top-level document and its same-origin frames may use WebAuthn; a
    /// cross-origin iframe needs its `allow` attribute. The browser reports the frame's state.
    func permits(_ feature: String, for source: CallSource, caller: CallerContext) async throws -> Bool {
        let (session, contextId) = try parts(source.realm)
        guard let frameId = registry.context(session: session, id: contextId)?.frameId else { return true }
        let states = try await connection.send("Page.getPermissionsPolicyState", ["frameId": .string(frameId)], session: session)
        let state = states["states"]?.arrayValue?.first { $0["feature"]?.stringValue == feature }
        return state?["allowed"]?.boolValue != false
    }

    func deliver(_ message: JSONValue, call: Int, to source: CallSource) async throws -> Bool {
        let (session, _) = try parts(source.realm)
        let function = try await answerFunction(source.realm)
        let result = try await connection.send("Runtime.callFunctionOn", [
            "functionDeclaration": "function (call, message) { return this(call, message); }",
            "objectId": .string(function),
            "arguments": [["value": .number(Double(call))], ["value": .string(JSONSerializer.serialize(message, style: .compact))]],
            "returnByValue": true,
        ], session: session)
        if result["exceptionDetails"] != nil { return false }
        return result["result"]?["value"]?.boolValue ?? false
    }

    /// The context's answer function: the window's listener for ``listenerType``, found once.
    private func answerFunction(_ realm: String) async throws -> String {
        if let known = answerFunctions[realm] { return known }
        let (session, contextId) = try parts(realm)
        // The listeners' functions come back only for an object in a named object group.
        let window = try await connection.send("Runtime.evaluate", ["expression": "this", "contextId": .number(Double(contextId)),
                                                                    "objectGroup": "vauth"], session: session)
        guard let windowId = window["result"]?["objectId"]?.stringValue else {
            throw BridgeError.protocolError("execution context \(realm) has no window")
        }
        let listeners = try await connection.send("DOMDebugger.getEventListeners", ["objectId": .string(windowId)], session: session)
        guard let handler = listeners["listeners"]?.arrayValue?.first(where: { $0["type"]?.stringValue == listenerType }),
              let function = (handler["handler"] ?? handler["originalHandler"])?["objectId"]?.stringValue else {
            throw BridgeError.protocolError("execution context \(realm) has no vauth script")
        }
        answerFunctions[realm] = function
        return function
    }
}
