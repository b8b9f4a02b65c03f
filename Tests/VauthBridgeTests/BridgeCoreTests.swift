import Dispatch
import Foundation
import Testing
@testable import VauthBridge
import VauthWebAuthn

/// The bridge core against a transport and a performer of the test's own: limits, staging,
/// cancellation and refusals, without a browser. Every wait is for an event, bounded.
struct BridgeCoreTests {
    static let challenge = "AAECAwQFBgcICQoLDA0ODw"
    static func create(_ number: Int) -> String {
        #"{"call":\#(number),"kind":"create","mediation":"optional","options":{"rp":{"name":"RP"},"user":{"id":"AQ","name":"a","displayName":"A"},"challenge":"\#(challenge)","pubKeyCredParams":[{"type":"public-key","alg":-7}]}}"#
    }
    static func get(_ number: Int, conditional: Bool = false) -> String {
        #"{"call":\#(number),"kind":"get","mediation":"\#(conditional ? "conditional" : "optional")","options":{"challenge":"\#(challenge)"}}"#
    }
    static func source(page: String = "P", realm: String = "R") -> CallSource {
        CallSource(page: page, realm: realm, origin: "https://example.com")
    }

    @Test func aCredentialIsKeptOnlyWhenThePageReceivesIt() async throws {
        let performer = FakePerformer()
        // Claimed and delivered: committed.
        var transport = FakeTransport(claims: [1: true], deliveries: [1: true])
        var core = BridgeCore(performer: performer, limits: .init(), log: { _ in })
        await core.receive(Self.create(1), from: Self.source(), via: transport)
        try await transport.waitForAnswers(1)
        #expect(performer.events == ["create", "commit"])
        #expect(transport.answers.first?.message["ok"] != nil)

        // No longer waiting when asked (aborted, timed out): discarded, never committed, no answer.
        performer.events = []
        transport = FakeTransport(claims: [2: false], deliveries: [:])
        core = BridgeCore(performer: performer, limits: .init(), log: { _ in })
        await core.receive(Self.create(2), from: Self.source(), via: transport)
        try await performer.waitFor("discard")
        #expect(performer.events == ["create", "discard"])
        #expect(transport.answers.isEmpty)

        // Claimed, but gone before the credential arrived: removed again.
        performer.events = []
        transport = FakeTransport(claims: [3: true], deliveries: [3: false])
        core = BridgeCore(performer: performer, limits: .init(), log: { _ in })
        await core.receive(Self.create(3), from: Self.source(), via: transport)
        try await performer.waitFor("remove")
        #expect(performer.events == ["create", "commit", "remove"])
    }

    @Test func aCallThePageEndedBeforeItRanDoesNotRun() async throws {
        let performer = FakePerformer()
        performer.hold()
        let transport = FakeTransport(claims: [:], deliveries: [:])
        let lines = Lines()
        let core = BridgeCore(performer: performer, limits: .init(), log: lines.append)
        await core.receive(Self.get(1), from: Self.source(realm: "A"), via: transport)
        try await performer.waitFor("get")            // the first call holds the ceremony queue
        await core.receive(Self.create(2), from: Self.source(realm: "B"), via: transport)
        await core.receive(#"{"call":2,"cancel":true}"#, from: Self.source(realm: "B"), via: transport)
        performer.release()
        try await lines.waitFor("the page ended the call before it ran")
        #expect(performer.events == ["get"])
    }

    @Test func callsPerPageAndInAllAreBounded() async throws {
        let performer = FakePerformer()
        performer.hold()
        let transport = FakeTransport(claims: [:], deliveries: [:], defaultAnswer: true)
        var limits = BridgeLimits()
        limits.callsPerPage = 2
        limits.callsInAll = 3
        let lines = Lines()
        let core = BridgeCore(performer: performer, limits: limits, log: lines.append)
        for number in 1...3 { await core.receive(Self.get(number), from: Self.source(page: "P", realm: "R\(number)"), via: transport) }
        try await transport.waitForAnswers(1)
        #expect(transport.answers.map(\.call) == [3])
        #expect(transport.answers[0].message["error"]?.stringValue == "NotAllowedError")
        #expect(transport.answers[0].message["message"]?.stringValue == BrowserProfile.chromium.message("NotAllowedError"))
        try await lines.waitFor("2 calls of this page are already waiting (at most 2)")
        await core.receive(Self.get(4), from: Self.source(page: "Q", realm: "S1"), via: transport)
        await core.receive(Self.get(5), from: Self.source(page: "Q", realm: "S2"), via: transport)
        try await lines.waitFor("3 calls are already waiting (at most 3)")
        performer.release()
        try await transport.waitForAnswers(5)
        #expect(Set(transport.answers.filter { $0.message["ok"] != nil }.map(\.call)) == [1, 2, 4])
    }

    @Test func refusalsTellThePageNothingAndTheLogEverything() async throws {
        let performer = FakePerformer()
        performer.failure = WebAuthnClientError(.notAllowed, "getAssertion: CTAP2_ERR_NO_CREDENTIALS: no credential for example.com matches")
        let transport = FakeTransport(claims: [:], deliveries: [:], defaultAnswer: true)
        let lines = Lines()
        let core = BridgeCore(performer: performer, limits: .init(), log: lines.append)
        await core.receive(Self.get(1), from: Self.source(), via: transport)
        try await transport.waitForAnswers(1)
        #expect(transport.answers[0].message == ["error": "NotAllowedError", "message": .string(BrowserProfile.chromium.message("NotAllowedError"))])
        try await lines.waitFor("get origin=https://example.com rpId=example.com: NotAllowedError: getAssertion: CTAP2_ERR_NO_CREDENTIALS")

        // A conditional request without a credential waits (no answer), as in a browser.
        await core.receive(Self.get(2, conditional: true), from: Self.source(), via: transport)
        try await lines.waitFor("get (conditional) origin=https://example.com rpId=example.com: no credential, left pending")
        #expect(transport.answers.count == 1)

        // A malformed call gets a TypeError; one without a number is ignored.
        await core.receive(#"{"call":3,"kind":"get","options":{"challenge":"not base64url!"}}"#, from: Self.source(), via: transport)
        try await transport.waitForAnswers(2)
        #expect(transport.answers[1].message["error"]?.stringValue == "TypeError")
        await core.receive("{]", from: Self.source(), via: transport)
        try await lines.waitFor("ignored a bridge call without a number")
    }

    @Test(arguments: ["unnumbered", "oversized"])
    func oversizedOrUnnumberedPayloadsAreIgnored(_ kind: String) async throws {
        let payload = kind == "unnumbered" ? "{]" : String(repeating: "x", count: (512 << 10) + 8192)
        let lines = Lines()
        let core = BridgeCore(performer: FakePerformer(), limits: .init(), log: lines.append)
        let transport = FakeTransport(claims: [:], deliveries: [:])
        await core.receive(payload, from: Self.source(), via: transport)
        try await lines.waitFor("ignored a")
        #expect(transport.answers.isEmpty)
    }

    @Test func theScriptsOversizeNoticeIsRefused() async throws {
        let lines = Lines()
        let core = BridgeCore(performer: FakePerformer(), limits: .init(), log: lines.append)
        let transport = FakeTransport(claims: [:], deliveries: [:], defaultAnswer: true)
        await core.receive(#"{"call":1,"kind":"create","oversize":1048700}"#, from: Self.source(), via: transport)
        try await transport.waitForAnswers(1)
        #expect(transport.answers[0].message["error"]?.stringValue == "NotAllowedError")
        try await lines.waitFor("create origin=https://example.com: NotAllowedError: options of 1048700 bytes, more than the bridge takes")
    }
}

// MARK: - Test doubles

/// Waits for a condition that another task makes true, polling its state under a lock, for at
/// most `seconds` (a failure, never a hang).
func eventually(_ what: String, seconds: Double = 30, _ condition: @escaping @Sendable () -> Bool) async throws {
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
    while !condition() {
        guard DispatchTime.now().uptimeNanoseconds < deadline else {
            Issue.record("timed out waiting for \(what)")
            throw CancellationError()
        }
        await Task.yield()
        try await Task.sleep(for: .milliseconds(2))
    }
}

/// A value behind a lock, for the doubles below.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLockedValue<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

final class Lines: Sendable {
    private let box = Locked<[String]>([])
    var all: [String] { box.withLockedValue { $0 } }
    var append: @Sendable (String) -> Void { { [box] line in box.withLockedValue { $0.append(line) } } }
    func waitFor(_ text: String) async throws {
        try await eventually("a log line with \(text)") { self.all.contains { $0.contains(text) } }
    }
}

final class FakeTransport: BridgeTransport, Sendable {
    struct Answer: Sendable {
        let call: Int
        let message: JSONValue
    }

    let profile = BrowserProfile.chromium
    private let claims: [Int: Bool]
    private let deliveries: [Int: Bool]
    private let defaultAnswer: Bool
    private let box = Locked<[Answer]>([])
    var answers: [Answer] { box.withLockedValue { $0 } }

    init(claims: [Int: Bool], deliveries: [Int: Bool], defaultAnswer: Bool = false) {
        self.claims = claims
        self.deliveries = deliveries
        self.defaultAnswer = defaultAnswer
    }

    func caller(of source: CallSource) async throws -> CallerContext {
        CallerContext(origin: try Origin(source.origin), crossOrigin: false, topOrigin: nil)
    }

    func permits(_ feature: String, for source: CallSource, caller: CallerContext) async throws -> Bool { true }

    func deliver(_ message: JSONValue, call: Int, to source: CallSource) async throws -> Bool {
        if message["claim"] != nil { return claims[call] ?? defaultAnswer }
        box.withLockedValue { $0.append(Answer(call: call, message: message)) }
        return deliveries[call] ?? defaultAnswer
    }

    func waitForAnswers(_ count: Int) async throws {
        try await eventually("\(count) answers") { self.answers.count >= count }
    }
}

/// Records what the core asked of it; `hold()` makes ceremonies wait until `release()`.
final class FakePerformer: CeremonyPerformer, @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    private let gate = DispatchSemaphore(value: 0)
    private var holding = false
    var failure: WebAuthnClientError?

    var events: [String] {
        get { lock.withLock { recorded } }
        set { lock.withLock { recorded = newValue } }
    }

    func record(_ event: String) { lock.withLock { recorded.append(event) } }
    func hold() { lock.withLock { holding = true } }
    func release() {
        lock.withLock { holding = false }
        for _ in 0..<16 { gate.signal() }
    }

    private func maybeWait() {
        if lock.withLock({ holding }) { gate.wait() }
    }

    func waitFor(_ event: String) async throws {
        try await eventually("the performer's \(event)") { self.events.contains(event) }
    }

    func create(_ options: PublicKeyCredentialCreationOptions, caller: CallerContext) throws -> any StagedRegistration {
        record("create")
        maybeWait()
        if let failure { throw failure }
        return FakeStaged(performer: self)
    }

    func get(_ options: PublicKeyCredentialRequestOptions, caller: CallerContext) throws -> AuthenticationResponseJSON {
        record("get")
        maybeWait()
        if let failure { throw failure }
        return AuthenticationResponseJSON(rawId: [1, 2, 3], authenticatorAttachment: .crossPlatform, clientExtensionResults: .init(),
                                          clientDataJSON: [], authenticatorData: [], signature: [], userHandle: nil)
    }

    func capabilities() -> BridgeCapabilities { .init(userVerifyingPlatformAuthenticator: true, conditionalGet: true) }
}

final class FakeStaged: StagedRegistration, @unchecked Sendable {
    let performer: FakePerformer
    let response = RegistrationResponseJSON(rawId: [9, 9], authenticatorAttachment: .crossPlatform, clientExtensionResults: .init(),
                                            clientDataJSON: [], authenticatorData: [], transports: [], publicKey: nil,
                                            publicKeyAlgorithm: -7, attestationObject: [])
    init(performer: FakePerformer) { self.performer = performer }
    func commit() throws { performer.record("commit") }
    func discard() { performer.record("discard") }
    func remove() throws { performer.record("remove") }
}
