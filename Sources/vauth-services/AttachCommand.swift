import ArgumentParser
import Dispatch
import Foundation
import VauthAuthenticator
import VauthBridge
import VauthCLI
import VauthCrypto
import VauthKeystore
import VauthWebAuthn

/// `vauth attach`: vauth answers a running browser's `navigator.credentials`, through the
/// DevTools Protocol (Chromium) or WebDriver BiDi (Firefox), until stopped (SIGINT, SIGTERM) or
/// until the browser closes.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.attach.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(help: ArgumentHelp("Chromium's DevTools address, e.g. http://127.0.0.1:9222.", valueName: "url"))
    var cdp: String?

    @Option(help: ArgumentHelp("A WebDriver BiDi session's WebSocket (Firefox), ws://127.0.0.1:PORT/session/ID.", valueName: "url"))
    var bidi: String?

    @Option(help: "Authenticator attachment to report: platform or cross-platform (default: follow the RP, else cross-platform).")
    var attachment: AuthenticatorAttachment?

    func run() async throws {
        enum Target { case devTools(URL), webDriverBiDi(URL) }
        let target: Target
        switch (cdp, bidi) {
        case (let cdp?, nil):
            do { target = .devTools(try DevToolsEndpoint.parseAddress(cdp)) } catch { throw CLIError.badInput(error.description) }
        case (nil, let bidi?):
            do { target = .webDriverBiDi(try WebDriverBiDiSession.parseAddress(bidi)) } catch { throw CLIError.badInput(error.description) }
        default:
            throw CLIError.badInput("attach needs exactly one of --cdp http://host:port (Chromium) and --bidi ws://host:port/session/ID (Firefox)")
        }
        // Flags are checked, and the keystore unlocked once, before anything is attached.
        let path = global.path
        let exists = try KeystoreFile.exists(at: path)
        let unlock = try global.unlock(newKeystore: !exists)
        var policy = AuthenticatorPolicy()
        if exists {
            let file = try KeystoreFile(path: path, unlock: unlock, access: .read)
            policy = file.policy
            file.close()
        }
        policy = try authenticator.apply(to: policy)

        let browser: Bridge.Browser
        let description: String
        switch target {
        case .devTools(let address):
            let endpoint: DevToolsEndpoint
            do { endpoint = try await DevToolsEndpoint.discover(address) } catch let error as BridgeError {
                throw CLIError.refused(error.description)
            }
            browser = .devTools(endpoint)
            description = "\(endpoint.browser) at \(address.absoluteString)"
        case .webDriverBiDi(let session):
            browser = .webDriverBiDi(session)
            description = "the WebDriver BiDi session \(session.absoluteString)"
        }
        let performer = KeystorePerformer(options: global, authenticator: authenticator, attachment: attachment, unlock: unlock,
                                          capabilitiesAtStart: KeystorePerformer.capabilities(policy: policy, attachment: attachment))
        let bridge = Bridge(browser: browser, performer: performer, log: { Terminal.note("attach: \($0)") })

        let signals = Self.stopOnSignals { Task { await bridge.stop() } }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await bridge.run {
                Terminal.note("attach: serving \(description) with \(path) (stop with Ctrl-C)")
            }
        } catch let error as BridgeError {
            throw CLIError.refused(error.description)
        }
        Terminal.note("attach: stopped after \(await bridge.answered) answered calls")
    }

    /// SIGINT and SIGTERM end the session cleanly (close frame, then exit 0) instead of killing it.
    private static func stopOnSignals(_ stop: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: stop)
            source.resume()
            return source
        }
    }
}

/// Runs each ceremony the bridge receives on the keystore: opened per ceremony (so `vauth get`
/// and others can use it in between), staged, and committed only when the ceremony succeeded.
/// The bridge calls it from one actor, one ceremony at a time; that is what makes the
/// `@unchecked Sendable` (the option structs are plain values) true.
private struct KeystorePerformer: CeremonyPerformer, @unchecked Sendable {
    let options: KeystoreOptions
    let authenticator: AuthenticatorOptions
    let attachment: AuthenticatorAttachment?
    let unlock: KeystoreUnlock

    /// The credential stays staged, with the keystore open (and its write lock held), until the
    /// bridge has asked the page whether its call still waits: a moment, bounded by the browser
    /// command timeout.
    func create(_ options: PublicKeyCredentialCreationOptions, caller: CallerContext) throws -> any StagedRegistration {
        let file = try open(create: true)
        do {
            let ceremony = try Ceremony(file: file, authenticator: authenticator, configuration: configuration(caller))
            let response = try ceremony.client.create(options, origin: caller.origin)
            return StagedKeystoreRegistration(file: file, ceremony: ceremony, response: response, reopen: { try self.open(create: false) })
        } catch {
            file.close()
            throw error
        }
    }

    func get(_ options: PublicKeyCredentialRequestOptions, caller: CallerContext) throws -> AuthenticationResponseJSON {
        guard try KeystoreFile.exists(at: self.options.path) else {
            // No keystore yet, so no credential: the same ceremony on an empty store refuses the
            // call as it would with one (a bad RP ID is still a SecurityError, not "no credential").
            let identity = try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)
            let client = WebAuthnClient(authenticator: Authenticator(identity: identity, store: InMemoryCredentialStore()),
                                        configuration: configuration(caller))
            _ = try client.get(options, origin: caller.origin)
            throw WebAuthnClientError(.notAllowed, "no credential for this RP: there is no keystore at \(self.options.path) yet")
        }
        let file = try open(create: false)
        defer { file.close() }
        let ceremony = try Ceremony(file: file, authenticator: authenticator, configuration: configuration(caller))
        let response = try ceremony.client.get(options, origin: caller.origin)
        try ceremony.commit()
        return response
    }

    /// A platform authenticator with user verification, when the policy makes vauth one; conditional
    /// mediation lists passkeys of platform authenticators (and providers), not security keys.
    /// Worked out once at the start: pages ask often, and opening the keystore for each question
    /// would cost a passphrase derivation every time.
    let capabilitiesAtStart: BridgeCapabilities

    func capabilities() -> BridgeCapabilities { capabilitiesAtStart }

    static func capabilities(policy: AuthenticatorPolicy, attachment: AuthenticatorAttachment?) -> BridgeCapabilities {
        let platform = attachment != .crossPlatform
        return BridgeCapabilities(userVerifyingPlatformAuthenticator: platform && policy.userVerification == .supported,
                                  conditionalGet: platform)
    }

    private func configuration(_ caller: CallerContext) -> ClientConfiguration {
        ClientConfiguration(attachment: attachment, crossOrigin: caller.crossOrigin, topOrigin: caller.topOrigin)
    }

    private func open(create: Bool) throws -> KeystoreFile {
        let path = options.path
        var creation: KeystoreFile.Creation?
        if create, !(try KeystoreFile.exists(at: path)) {
            creation = .init(identity: try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000), scrypt: options.scrypt)
        }
        return try KeystoreFile(path: path, unlock: unlock, access: .readWrite, creating: creation)
    }
}

/// A registration held in a ``Ceremony``'s staged store with its keystore open, until the bridge
/// commits or discards it. Used by one ceremony at a time on the bridge's ceremony thread, which
/// is what makes `@unchecked Sendable` true.
private final class StagedKeystoreRegistration: StagedRegistration, @unchecked Sendable {
    let response: RegistrationResponseJSON
    private var file: KeystoreFile?
    private let ceremony: Ceremony
    private let reopen: () throws -> KeystoreFile

    init(file: KeystoreFile, ceremony: Ceremony, response: RegistrationResponseJSON, reopen: @escaping () throws -> KeystoreFile) {
        self.file = file
        self.ceremony = ceremony
        self.response = response
        self.reopen = reopen
    }

    func commit() throws {
        defer { discard() }
        try ceremony.commit()
    }

    func discard() {
        file?.close()
        file = nil
    }

    func remove() throws {
        discard()
        guard let id = Base64.urlDecode(response.id) else { return }
        let file = try reopen()
        defer { file.close() }
        _ = try file.delete(ids: [id])
    }
}
