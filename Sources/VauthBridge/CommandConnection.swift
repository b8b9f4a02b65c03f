import NIOConcurrencyHelpers
import VauthWebAuthn

/// One protocol event: `method`, `params`, and (DevTools Protocol) the flattened session it came
/// from (nil for the browser's own session and for WebDriver BiDi).
struct ProtocolEvent: Sendable {
    let method: String
    let params: JSONValue
    let sessionId: String?
}

/// A browser automation protocol over one WebSocket: numbered commands whose answers are awaited,
/// and events in arrival order. The DevTools Protocol and WebDriver BiDi share this shape
/// (`{id, method, params}` out; an answer with the same `id`, or an event with a `method`, in);
/// they differ only in how an error answer reads. With the DevTools Protocol's `flatten: true`
/// every attached target shares the connection, told apart by `sessionId`.
final class CommandConnection: Sendable {
    private struct State {
        var nextId = 1
        var waiting: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
        var deadlines: [Int: Task<Void, Never>] = [:]
        var closed: (any Error)?
    }

    private let socket: WebSocketConnection
    private let state = NIOLockedValueBox(State())
    /// Events in the order the browser sent them; finishes when the connection ends.
    let events: AsyncStream<ProtocolEvent>
    private let eventSink: AsyncStream<ProtocolEvent>.Continuation
    /// Outgoing messages, written by ``pump()`` one at a time in the order they were sent: the
    /// browser runs a session's commands in the order it reads them, and the attach sequence
    /// depends on that order.
    private let outgoing: AsyncStream<String>
    private let outgoingSink: AsyncStream<String>.Continuation

    init(socket: WebSocketConnection) {
        self.socket = socket
        (events, eventSink) = AsyncStream<ProtocolEvent>.makeStream()
        (outgoing, outgoingSink) = AsyncStream<String>.makeStream()
    }

    /// How long a command may wait for its answer: a browser that stopped answering (stopped,
    /// overloaded, a message lost) fails the command instead of holding the bridge forever.
    static let commandTimeout: Duration = .seconds(30)

    /// Sends `method` and waits for its result, at most ``commandTimeout``; a protocol error
    /// answer throws.
    @discardableResult
    func send(_ method: String, _ params: JSONValue = [:], session: String? = nil) async throws -> JSONValue {
        var message: [(String, JSONValue)] = []
        let id: Int = try state.withLockedValue { state in
            if let closed = state.closed { throw closed }
            defer { state.nextId += 1 }
            return state.nextId
        }
        message.append(("id", .number(Double(id))))
        if let session { message.append(("sessionId", .string(session))) }
        message.append(("method", .string(method)))
        message.append(("params", params))
        let text = JSONSerializer.serialize(.object(message), style: .compact)
        return try await withCheckedThrowingContinuation { continuation in
            let accepted: Bool = state.withLockedValue { state in
                guard state.closed == nil else { return false }
                state.waiting[id] = continuation
                state.deadlines[id] = Task { [weak self] in
                    try? await Task.sleep(for: Self.commandTimeout)
                    if Task.isCancelled { return }
                    self?.answer(id, .failure(BridgeError.protocolError("the browser did not answer \(method) within \(Self.commandTimeout)")))
                }
                return true
            }
            guard accepted else {
                continuation.resume(throwing: BridgeError.protocolError("the browser connection is closed"))
                return
            }
            outgoingSink.yield(text)
        }
    }

    /// Puts a marker in ``events`` behind every event read so far: when the consumer reaches it,
    /// it has handled all of them.
    func barrier() {
        eventSink.yield(ProtocolEvent(method: Self.barrierMethod, params: [:], sessionId: nil))
    }

    static let barrierMethod = "vauth.barrier"

    /// Sends `method` without waiting for its answer (errors are of no use to the caller).
    func post(_ method: String, _ params: JSONValue = [:], session: String? = nil) {
        Task { _ = try? await send(method, params, session: session) }
    }

    private func answer(_ id: Int, _ result: Result<JSONValue, any Error>) {
        let (continuation, deadline) = state.withLockedValue { ($0.waiting.removeValue(forKey: id), $0.deadlines.removeValue(forKey: id)) }
        deadline?.cancel()
        continuation?.resume(with: result)
    }

    /// Writes outgoing messages and reads the socket until it closes: answers go to their waiting
    /// commands, events to ``events``.
    func pump() async {
        let writer = Task { [outgoing, socket] in
            for await text in outgoing {
                do { try await socket.send(text) } catch { break }
            }
        }
        defer { writer.cancel() }
        var ending: any Error = BridgeError.protocolError("the browser closed the connection")
        do {
            for try await text in socket.messages {
                guard let message = try? JSONParser.parse(text) else { continue }
                if let id = message["id"]?.numberValue {
                    if let error = message["error"] {
                        // DevTools: {"error": {"code", "message"}}; BiDi: {"error": "no such frame", "message"}.
                        let reason = error["message"]?.stringValue
                            ?? [error.stringValue, message["message"]?.stringValue].compactMap { $0 }.joined(separator: ": ")
                        answer(Int(id), .failure(BridgeError.protocolError(reason)))
                    } else {
                        answer(Int(id), .success(message["result"] ?? [:]))
                    }
                } else if let method = message["method"]?.stringValue {
                    eventSink.yield(ProtocolEvent(method: method, params: message["params"] ?? [:], sessionId: message["sessionId"]?.stringValue))
                }
            }
        } catch {
            ending = BridgeError.protocolError("the browser connection broke: \(error)")
        }
        let waiting = state.withLockedValue { state in
            state.closed = ending
            for deadline in state.deadlines.values { deadline.cancel() }
            defer { state.waiting = [:]; state.deadlines = [:] }
            return state.waiting
        }
        for continuation in waiting.values { continuation.resume(throwing: ending) }
        eventSink.finish()
    }

    /// Closes the WebSocket with a close frame.
    func close() async {
        outgoingSink.finish()
        await socket.close()
    }
}
