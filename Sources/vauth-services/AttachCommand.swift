import ArgumentParser
import Dispatch
import Foundation
import VauthAuthenticator
import VauthBridge
import VauthCLI
import VauthKeystore
import VauthWebAuthn

/// `vauth attach`: vauth answers a running Chromium's `navigator.credentials` through the
/// DevTools Protocol, until stopped (SIGINT, SIGTERM) or until the browser closes.
struct AttachCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.attach.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(help: ArgumentHelp("The browser's DevTools address, e.g. http://127.0.0.1:9222.", valueName: "url"))
    var cdp: String

    @Option(help: "Authenticator attachment to report: platform or cross-platform (default: follow the RP, else cross-platform).")
    var attachment: AuthenticatorAttachment?

    func run() async throws {
        let address: URL
        do { address = try DevToolsEndpoint.parseAddress(cdp) } catch { throw CLIError.badInput(error.description) }
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

        let endpoint: DevToolsEndpoint
        do { endpoint = try await DevToolsEndpoint.discover(address) } catch let error as BridgeError {
            throw CLIError.refused(error.description)
        }
        let performer = KeystorePerformer(options: global, authenticator: authenticator, attachment: attachment, unlock: unlock,
                                          capabilitiesAtStart: KeystorePerformer.capabilities(policy: policy, attachment: attachment))
        let bridge = Bridge(endpoint: endpoint, performer: performer, log: { Terminal.note("attach: \($0)") })

        let signals = Self.stopOnSignals { Task { await bridge.stop() } }
        defer { signals.forEach { $0.cancel() } }
        do {
            try await bridge.run {
                Terminal.note("attach: serving \(endpoint.browser) at \(address.absoluteString) with \(path) (stop with Ctrl-C)")
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

    func create(_ options: PublicKeyCredentialCreationOptions, caller: CallerContext) throws -> RegistrationResponseJSON {
        let file = try open(create: true)
        defer { file.close() }
        let ceremony = try Ceremony(file: file, authenticator: authenticator, configuration: configuration(caller))
        let response = try ceremony.client.create(options, origin: caller.origin)
        try ceremony.commit()
        return response
    }

    func get(_ options: PublicKeyCredentialRequestOptions, caller: CallerContext) throws -> AuthenticationResponseJSON {
        guard try KeystoreFile.exists(at: self.options.path) else {
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
