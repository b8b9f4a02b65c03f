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
            let refusal = BridgeRefusal(error, profile: .chromium)
            #expect(refusal.name == "TypeError")
        }
    }

    @Test(arguments: ["", "[]", #"{"call":"1"}"#, #"{"call":0}"#, #"{"call":1.5}"#, "{\"call\":1e300}"])
    func callsWithoutANumberAreIgnored(_ payload: String) {
        #expect(BridgeCall.number(in: payload) == nil)
    }

    @Test func refusalsKeepTheirDOMExceptionNamesAndGetTheBrowsersMessages() {
        let cases: [(WebAuthnClientError.Kind, String)] = [
            (.notAllowed, "NotAllowedError"), (.invalidState, "InvalidStateError"), (.security, "SecurityError"),
            (.notSupported, "NotSupportedError"), (.syntax, "TypeError"), (.type, "TypeError"), (.storage, "UnknownError"),
        ]
        for profile in [BrowserProfile.chromium, .firefox] {
            for (kind, name) in cases {
                let refusal = BridgeRefusal(WebAuthnClientError(kind, "CTAP2_ERR_NO_CREDENTIALS: no credential for example.com"), profile: profile)
                #expect(refusal.name == name)
                #expect(refusal.answer["error"]?.stringValue == name)
                // The page gets the browser's words; the detail is for vauth's log only.
                #expect(!refusal.pageMessage.contains("CTAP2"))
                #expect(refusal.detail.contains("CTAP2_ERR_NO_CREDENTIALS"))
                if name != "TypeError" { #expect(refusal.pageMessage == profile.message(name)) }
            }
        }
        #expect(BridgeRefusal(WebAuthnClientError(.type, "user.id must be 1 to 64 bytes, not 65"), profile: .chromium).pageMessage
                == "User handle exceeds 64 bytes.")
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
        registry.record(ProtocolEvent(method: "Runtime.executionContextCreated",
                                      params: ["context": ["id": 7, "origin": "http://localhost:8000", "auxData": ["frameId": "top"]]],
                                      sessionId: "S"))
        #expect(registry.context(session: "S", id: 7) == .init(origin: "http://localhost:8000", frameId: "top"))
        #expect(registry.context(session: "other", id: 7) == nil)
        registry.record(ProtocolEvent(method: "Runtime.executionContextsCleared", params: [:], sessionId: "S"))
        #expect(registry.context(session: "S", id: 7) == nil)
    }

    @Test func bothAdaptersCarryTheOneCore() {
        let profile = BrowserProfile.chromium.json(capabilities: .init(userVerifyingPlatformAuthenticator: true, conditionalGet: true),
                                                   limits: .init())
        let devTools = InjectedScript.devTools(binding: "__vabc", listenerType: "vdef", profile: profile)
        let biDi = InjectedScript.webDriverBiDi(profile: profile)
        #expect(devTools.contains(InjectedScript.core) && biDi.contains(InjectedScript.core))
        #expect(devTools.contains("delete globalThis[\"__vabc\"]"))
        #expect(!InjectedScript.core.contains("globalThis.__") && !InjectedScript.core.contains("window.__"))
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
