import VauthCrypto
import VauthWebAuthn

/// vauth as the authenticator of a running Chromium: attaches to every page and frame through the
/// DevTools Protocol, installs ``InjectedScript`` before the page's scripts, and answers the
/// page's `navigator.credentials.create()` / `get()` with a ``CeremonyPerformer``.
///
/// The attach sequence and the facts behind it are in ../shared/notes/cdp-bridge.md: browser-level
/// `Target.setAutoAttach` (flatten, wait for the debugger), then per page or iframe session
/// `Runtime.enable`, `Page.enable`, `Runtime.addBinding`, `Page.addScriptToEvaluateOnNewDocument`
/// (runImmediately), a nested `Target.setAutoAttach`, and `Runtime.runIfWaitingForDebugger`.
/// (Measured with Chromium 156: without `Page.enable` the script is accepted but never runs in
/// the page's later documents.)
public actor Bridge {
    private let endpoint: DevToolsEndpoint
    private let performer: any CeremonyPerformer
    private let log: @Sendable (String) -> Void
    private var connection: DevToolsConnection?
    private var registry = FrameRegistry()
    private var stopping = false

    /// Ceremonies answered, by result, for the log's last line.
    public private(set) var answered = 0

    public init(endpoint: DevToolsEndpoint, performer: any CeremonyPerformer, log: @escaping @Sendable (String) -> Void) {
        self.endpoint = endpoint
        self.performer = performer
        self.log = log
    }

    /// Connects and serves until ``stop()`` or until the browser goes away. `ready` runs once the
    /// pages open at the start are instrumented.
    public func run(ready: @escaping @Sendable () -> Void = {}) async throws {
        let url = endpoint.webSocketURL
        guard let host = url.host else { throw BridgeError.badEndpoint("no host in \(url)") }
        let port = url.port ?? 80
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        do {
            try await WebSocketConnection.withConnection(host: host, port: port, path: path) { socket in
                try await self.serve(DevToolsConnection(socket: socket), ready: ready)
            }
        } catch let error as BridgeError {
            throw error
        } catch {
            throw BridgeError.unreachable("cannot open the DevTools WebSocket \(url.absoluteString): \(error)")
        }
    }

    /// Closes the DevTools connection; ``run(ready:)`` then returns.
    public func stop() async {
        stopping = true
        await connection?.close()
    }

    private func serve(_ connection: DevToolsConnection, ready: @escaping @Sendable () -> Void) async throws {
        self.connection = connection
        if stopping { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await connection.pump() }
            group.addTask {
                for await event in connection.events { await self.handle(event) }
                await self.eventsEnded()
            }
            group.addTask {
                try await connection.send("Target.setAutoAttach", Self.autoAttachParameters)
                // The browser announces the targets open already before it answers; once the event
                // loop has handled those announcements, wait for their instrumentation to finish.
                await self.waitForEventsSoFar(connection)
                await self.waitForInstrumentation()
                ready()
            }
            try await group.waitForAll()
        }
        self.connection = nil
    }

    static let autoAttachParameters: JSONValue = ["autoAttach": true, "waitForDebuggerOnStart": true, "flatten": true]

    // MARK: - Events

    private var instrumenting = 0
    private var instrumentationWaiters: [CheckedContinuation<Void, Never>] = []

    private var barrierWaiters: [CheckedContinuation<Void, Never>] = []

    private func waitForEventsSoFar(_ connection: DevToolsConnection) async {
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

    private func handle(_ event: DevToolsEvent) async {
        registry.record(event)
        switch event.method {
        case DevToolsConnection.barrierMethod:
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
                connection?.post("Runtime.runIfWaitingForDebugger", session: session)
            }
        case "Target.detachedFromTarget":
            if let session = event.params["sessionId"]?.stringValue { registry.detached(session: session) }
        case "Runtime.bindingCalled":
            guard let session = event.sessionId, event.params["name"]?.stringValue == InjectedScript.bindingName,
                  let payload = event.params["payload"]?.stringValue,
                  let contextId = event.params["executionContextId"]?.numberValue else { return }
            // The origin is read now, while the context is the one that called.
            guard let context = registry.context(session: session, id: Int(contextId)) else {
                log("ignored a call from an execution context the browser never announced")
                return
            }
            Task { await self.answer(payload, session: session, contextId: Int(contextId), context: context) }
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
        guard let connection else { return }
        do {
            try await connection.send("Runtime.enable", session: session)
            try await connection.send("Page.enable", session: session)
            try await connection.send("Runtime.addBinding", ["name": .string(InjectedScript.bindingName)], session: session)
            try await connection.send("Page.addScriptToEvaluateOnNewDocument",
                                      ["source": .string(InjectedScript.source), "runImmediately": true], session: session)
            try await connection.send("Target.setAutoAttach", Self.autoAttachParameters, session: session)
        } catch {
            // Most often a target that closed while being attached: nothing to serve then.
            if registry.sessions[session] != nil { log("could not instrument a \(registry.sessions[session]?.type ?? "") target: \(error)") }
        }
        connection.post("Runtime.runIfWaitingForDebugger", session: session)
    }

    // MARK: - Calls

    private func answer(_ payload: String, session: String, contextId: Int, context: FrameRegistry.Context) async {
        guard let number = BridgeCall.number(in: payload) else {
            log("ignored a bridge call without a number from \(context.origin)")
            return
        }
        let outcome: BridgeOutcome
        var kind = "call"
        do {
            let call = try BridgeCall(payload: payload)
            kind = call.logName
            let caller = try await callerContext(session: session, context: context)
            try await checkPermissionsPolicy(call, session: session, context: context)
            outcome = perform(call, caller: caller)
        } catch {
            outcome = BridgeOutcome(failure: error, kind: kind, origin: context.origin, rpId: nil)
        }
        if let line = outcome.logLine { log(line) }
        guard let result = outcome.answer else { return }
        answered += 1
        let expression = "globalThis.\(InjectedScript.answerFunction)(\(number), \(JSONSerializer.serialize(result, style: .compact)))"
        _ = try? await connection?.send("Runtime.evaluate", ["expression": .string(expression), "contextId": .number(Double(contextId))],
                                        session: session)
    }

    /// The ceremony, run without suspending: one at a time, as one authenticator does.
    private func perform(_ call: BridgeCall, caller: CallerContext) -> BridgeOutcome {
        let origin = caller.origin.serialized
        switch call.kind {
        case .capabilities:
            let capabilities = performer.capabilities()
            return BridgeOutcome(answer: ["ok": ["userVerifyingPlatformAuthenticator": .bool(capabilities.userVerifyingPlatformAuthenticator),
                                                 "conditionalGet": .bool(capabilities.conditionalGet)]], logLine: nil)
        case .create(let options):
            let rpId = options.rp.id ?? caller.origin.effectiveDomain
            do {
                let response = try performer.create(options, caller: caller)
                return BridgeOutcome(answer: ["ok": response.json],
                                     logLine: "create origin=\(origin)\(Self.frameNote(caller)) rpId=\(rpId) credential=\(response.id): ok")
            } catch {
                return BridgeOutcome(failure: error, kind: "create", origin: origin + Self.frameNote(caller), rpId: rpId)
            }
        case .get(let options):
            let rpId = options.rpId ?? caller.origin.effectiveDomain
            do {
                let response = try performer.get(options, caller: caller)
                return BridgeOutcome(answer: ["ok": response.json],
                                     logLine: "get origin=\(origin)\(Self.frameNote(caller)) rpId=\(rpId) credential=\(response.id): ok")
            } catch {
                var outcome = BridgeOutcome(failure: error, kind: call.conditional ? "get (conditional)" : "get",
                                            origin: origin + Self.frameNote(caller), rpId: rpId)
                // Conditional mediation never fails for want of a credential: the request waits
                // for the user (here: for the page to abort it) (L3 §5.1.4.1).
                if call.conditional, outcome.name == "NotAllowedError" {
                    outcome.answer = nil
                    outcome.logLine = "get (conditional) origin=\(origin) rpId=\(rpId): no credential, left pending"
                }
                return outcome
            }
        }
    }

    /// A frame may use WebAuthn only where Permissions Policy allows `publickey-credentials-create`
    /// / `-get` (L3 §5.9, §5.10): by default the top-level document and its same-origin frames; a
    /// cross-origin iframe needs its `allow` attribute. The browser reports the frame's state.
    private func checkPermissionsPolicy(_ call: BridgeCall, session: String, context: FrameRegistry.Context) async throws {
        let feature: String
        switch call.kind {
        case .create: feature = "publickey-credentials-create"
        case .get: feature = "publickey-credentials-get"
        case .capabilities: return
        }
        guard let connection, let frameId = context.frameId else { return }
        let states = try await connection.send("Page.getPermissionsPolicyState", ["frameId": .string(frameId)], session: session)
        let state = states["states"]?.arrayValue?.first { $0["feature"]?.stringValue == feature }
        if let state, state["allowed"]?.boolValue == false {
            throw WebAuthnClientError(.notAllowed, "The '\(feature)' feature is not enabled in this document. Permissions Policy may be used to delegate Web Authentication capabilities to cross-origin child frames.")
        }
    }

    private static func frameNote(_ caller: CallerContext) -> String {
        guard caller.crossOrigin, let top = caller.topOrigin else { return "" }
        return " (iframe under \(top.serialized))"
    }

    /// The caller's origin, and whether it is cross-origin with its ancestors, from the frame
    /// trees of its session and the sessions above it (an out-of-process iframe's target id is its
    /// frame id in the parent's tree).
    private func callerContext(session: String, context: FrameRegistry.Context) async throws -> CallerContext {
        let origin: Origin
        do { origin = try Origin(context.origin) } catch {
            throw WebAuthnClientError(.security, "the calling document's origin \(context.origin) cannot use WebAuthn")
        }
        guard let connection else { throw BridgeError.protocolError("not connected") }
        var ancestors: [String] = []
        var top = context.origin
        var currentSession: String? = session
        var frameId = context.frameId
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
        let crossOrigin = ancestors.contains { $0 != context.origin }
        return CallerContext(origin: origin, crossOrigin: crossOrigin, topOrigin: crossOrigin ? try? Origin(top) : nil)
    }
}

/// The answer a call gets and the line it logs.
struct BridgeOutcome {
    /// `{ok: …}` or `{error: {name, message}}`; nil leaves the page's promise pending.
    var answer: JSONValue?
    var logLine: String?
    var name: String?

    init(answer: JSONValue?, logLine: String?) {
        self.answer = answer
        self.logLine = logLine
    }

    /// The exception a browser would reject with (WebAuthn L3 §5.1.3, §5.1.4; WebIDL for `TypeError`).
    init(failure error: any Error, kind: String, origin: String, rpId: String?) {
        let name: String, message: String
        switch error {
        case let error as WebAuthnClientError:
            switch error.kind {
            case .syntax, .type: name = "TypeError"
            case .storage, .unknown: name = "UnknownError"
            default: name = error.name
            }
            message = error.message
        case let error as BridgeError:
            name = "UnknownError"
            message = error.description
        default:
            name = "UnknownError"
            message = "\(error)"
        }
        self.name = name
        answer = ["error": ["name": .string(name), "message": .string(message)]]
        logLine = "\(kind) origin=\(origin)\(rpId.map { " rpId=\($0)" } ?? ""): \(name): \(message)"
    }
}
