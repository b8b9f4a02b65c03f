import Testing
@testable import VauthBridge
import VauthWebAuthn

/// The binding's payload is page input: anything malformed is a TypeError for the caller, and
/// nothing in it names an origin.
struct BridgeCallTests {
    let challenge = "AAECAwQFBgcICQoLDA0ODw"

    @Test func createCallParses() throws {
        let payload = """
            {"call":3,"kind":"create","mediation":"optional","origin":"https://forged.example","options":{"rp":{"name":"RP"},
            "user":{"id":"AQ","name":"a","displayName":"A"},"challenge":"\(challenge)","pubKeyCredParams":[{"type":"public-key","alg":-7}]}}
            """
        let call = try BridgeCall(payload: payload)
        #expect(call.number == 3)
        #expect(!call.conditional)
        guard case .create(let options) = call.kind else { Issue.record("not a create call"); return }
        #expect(options.challenge == Array(0...15))
    }

    @Test func conditionalGetParses() throws {
        let call = try BridgeCall(payload: #"{"call":1,"kind":"get","mediation":"conditional","options":{"challenge":"\#(challenge)"}}"#)
        #expect(call.conditional)
        guard case .get = call.kind else { Issue.record("not a get call"); return }
    }

    @Test(arguments: [
        #"{"call":1,"kind":"get","options":{"challenge":"not base64url!"}}"#,
        #"{"call":1,"kind":"get","options":{}}"#,
        #"{"call":1,"kind":"create","options":{"challenge":"AA"}}"#,
        #"{"call":1,"kind":"steal"}"#,
        #"{"call":1,"kind":"get"}"#,
    ])
    func malformedCallsAreTypeErrors(_ payload: String) {
        #expect(BridgeCall.number(in: payload) == 1)
        do {
            _ = try BridgeCall(payload: payload)
            Issue.record("accepted \(payload)")
        } catch {
            let outcome = BridgeOutcome(failure: error, kind: "call", origin: "https://example.com", rpId: nil)
            #expect(outcome.name == "TypeError")
        }
    }

    @Test(arguments: ["", "[]", #"{"call":"1"}"#, #"{"call":0}"#, #"{"call":1.5}"#, "{\"call\":1e300}"])
    func callsWithoutANumberAreIgnored(_ payload: String) {
        #expect(BridgeCall.number(in: payload) == nil)
    }

    @Test func refusalsKeepTheirDOMExceptionNames() {
        let cases: [(WebAuthnClientError.Kind, String)] = [
            (.notAllowed, "NotAllowedError"), (.invalidState, "InvalidStateError"), (.security, "SecurityError"),
            (.notSupported, "NotSupportedError"), (.syntax, "TypeError"), (.type, "TypeError"), (.storage, "UnknownError"),
        ]
        for (kind, name) in cases {
            let outcome = BridgeOutcome(failure: WebAuthnClientError(kind, "why"), kind: "get", origin: "https://example.com", rpId: "example.com")
            #expect(outcome.name == name)
            #expect(outcome.answer?["error"]?["name"]?.stringValue == name)
            #expect(outcome.logLine == "get origin=https://example.com rpId=example.com: \(name): why")
        }
    }
}

struct FrameTreeTests {
    let tree = FrameTree([
        "frame": ["id": "top", "securityOrigin": "http://localhost:8000"],
        "childFrames": [
            ["frame": ["id": "a", "securityOrigin": "http://localhost:8000"]],
            ["frame": ["id": "b", "securityOrigin": "http://127.0.0.1:8001"],
             "childFrames": [["frame": ["id": "c", "securityOrigin": "http://localhost:8000"]]]],
        ],
    ])!

    @Test func pathRunsFromTheRootToTheFrame() {
        #expect(tree.path(to: "c").map(\.frameId) == ["top", "b", "c"])
        #expect(tree.path(to: "top").map(\.frameId) == ["top"])
        #expect(tree.path(to: "missing").isEmpty)
    }

    @Test func contextsAreForgottenWithTheirSession() {
        var registry = FrameRegistry()
        registry.attached(session: "S", targetId: "T", type: "page", parent: nil)
        registry.record(DevToolsEvent(method: "Runtime.executionContextCreated",
                                      params: ["context": ["id": 7, "origin": "http://localhost:8000", "auxData": ["frameId": "top"]]],
                                      sessionId: "S"))
        #expect(registry.context(session: "S", id: 7) == .init(origin: "http://localhost:8000", frameId: "top"))
        #expect(registry.context(session: "other", id: 7) == nil)
        registry.record(DevToolsEvent(method: "Runtime.executionContextsCleared", params: [:], sessionId: "S"))
        #expect(registry.context(session: "S", id: 7) == nil)
    }

    @Test func scriptHasItsNamesFilledIn() {
        #expect(!InjectedScript.source.contains("@BINDING@"))
        #expect(!InjectedScript.source.contains("@ANSWER@"))
        #expect(InjectedScript.source.contains("globalThis['\(InjectedScript.bindingName)']"))
    }
}

struct DevToolsEndpointTests {
    @Test(arguments: ["http://127.0.0.1:9222", "http://localhost:9222/"])
    func acceptsHTTPAddressesWithAPort(_ text: String) throws {
        #expect(try DevToolsEndpoint.parseAddress(text).port == 9222)
    }

    @Test(arguments: ["ws://127.0.0.1:9222", "127.0.0.1:9222", "http://127.0.0.1", "https://127.0.0.1:9222", ""])
    func refusesAnythingElse(_ text: String) {
        #expect(throws: BridgeError.self) { try DevToolsEndpoint.parseAddress(text) }
    }

    @Test func unreachableEndpointSaysWhatToCheck() async throws {
        // Port 9 (discard) on loopback: nothing listens there in a test environment.
        do {
            _ = try await DevToolsEndpoint.discover(try DevToolsEndpoint.parseAddress("http://127.0.0.1:9"))
            Issue.record("discovered an endpoint on port 9")
        } catch let error as BridgeError {
            #expect(error.description.hasPrefix("cannot reach the DevTools endpoint http://127.0.0.1:9"))
            #expect(error.description.contains("--remote-debugging-port"))
        }
    }
}
