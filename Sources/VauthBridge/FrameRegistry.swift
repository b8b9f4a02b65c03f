import VauthWebAuthn

/// What the browser has told vauth about its targets and their JavaScript contexts: which
/// session belongs to which target and parent session, and each execution context's frame and
/// security origin (from `Runtime.executionContextCreated`, dropped again on
/// `executionContextDestroyed` / `executionContextsCleared`). A binding call is mapped to its
/// origin here, when its event arrives, never from its payload.
struct FrameRegistry {
    struct Session {
        /// The target's id; for an out-of-process iframe also its frame's id.
        let targetId: String
        /// `page`, `iframe`, `worker`, …
        let type: String
        /// The session that attached this one (nil for pages attached by the browser session).
        let parent: String?
    }

    struct Context: Equatable {
        /// The execution context's `origin`: "https://example.com", "://" for the first about:blank.
        let origin: String
        let frameId: String?
    }

    private(set) var sessions: [String: Session] = [:]
    private var contexts: [String: [Int: Context]] = [:]

    mutating func attached(session: String, targetId: String, type: String, parent: String?) {
        sessions[session] = Session(targetId: targetId, type: type, parent: parent)
    }

    mutating func detached(session: String) {
        sessions[session] = nil
        contexts[session] = nil
    }

    mutating func record(_ event: ProtocolEvent) {
        guard let session = event.sessionId else { return }
        switch event.method {
        case "Runtime.executionContextCreated":
            guard let context = event.params["context"], let id = context["id"]?.numberValue,
                  let origin = context["origin"]?.stringValue else { return }
            contexts[session, default: [:]][Int(id)] = Context(origin: origin, frameId: context["auxData"]?["frameId"]?.stringValue)
        case "Runtime.executionContextDestroyed":
            if let id = event.params["executionContextId"]?.numberValue { contexts[session]?[Int(id)] = nil }
        case "Runtime.executionContextsCleared":
            contexts[session] = [:]
        default:
            break
        }
    }

    func context(session: String, id: Int) -> Context? { contexts[session]?[id] }

    /// The page (tab) a session belongs to: the session at the top of its chain of parents that
    /// are pages or iframes. Calls are bounded per page.
    func page(of session: String) -> String {
        var current = session
        while let parent = sessions[current]?.parent, let info = sessions[parent], info.type == "page" || info.type == "iframe" {
            current = parent
        }
        return current
    }
}

/// A frame tree as `Page.getFrameTree` reports it, reduced to ids and security origins.
struct FrameTree {
    let frameId: String
    let securityOrigin: String
    let children: [FrameTree]

    init?(_ value: JSONValue) {
        guard let frame = value["frame"], let id = frame["id"]?.stringValue else { return nil }
        frameId = id
        securityOrigin = frame["securityOrigin"]?.stringValue ?? "null"
        children = (value["childFrames"]?.arrayValue ?? []).compactMap(FrameTree.init)
    }

    /// The frames from this root down to `frameId`, both included; empty when it is not in the tree.
    func path(to frameId: String) -> [FrameTree] {
        if self.frameId == frameId { return [self] }
        for child in children {
            let below = child.path(to: frameId)
            if !below.isEmpty { return [self] + below }
        }
        return []
    }
}
