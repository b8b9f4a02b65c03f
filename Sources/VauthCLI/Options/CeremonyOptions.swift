import ArgumentParser
import VauthAuthenticator
import VauthKeystore
import VauthWebAuthn

extension AuthenticatorAttachment: ExpressibleByArgument {}

/// What the browser stand-in needs besides the options document.
package struct ClientOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The calling page's origin, e.g. https://example.com (http only for localhost).", valueName: "origin"))
    package var origin: String

    @Option(help: ArgumentHelp("Options JSON file, or - for stdin (default).", valueName: "file"))
    package var options: String = "-"

    @Option(help: "Authenticator attachment to report: platform or cross-platform (default: follow the RP, else cross-platform).")
    package var attachment: AuthenticatorAttachment?

    @Option(name: .customLong("top-origin"), help: ArgumentHelp("Run as a cross-origin iframe under this top-level origin.", valueName: "origin"))
    package var topOrigin: String?

    package init() {}

    package func configuration() throws -> ClientConfiguration {
        ClientConfiguration(attachment: attachment, crossOrigin: topOrigin != nil, topOrigin: try topOrigin.map { (text) throws -> Origin in try Origin(text) })
    }

    package func parsedOrigin() throws -> Origin { try Origin(origin) }
}

/// The authenticator and client of one ceremony over an open keystore. Changes are staged and
/// reach the keystore only through ``commit()``, after the ceremony (and any server) succeeded: a
/// command that fails leaves the keystore files byte for byte as they were.
package struct Ceremony {
    package let client: WebAuthnClient
    package let staged: StagedCredentialStore

    package init(file: KeystoreFile, policy: AuthenticatorPolicy, configuration: ClientConfiguration = .init(),
         counter: SignCounterMode? = nil, backedUp: Bool = false) throws {
        staged = StagedCredentialStore(base: EncryptedCredentialStore(file: file))
        // The identity (attestation keys and certificates) is decoded only if the ceremony attests.
        let authenticator = Authenticator(aaguid: try file.aaguid(), loadingIdentity: { try file.identity() }, policy: policy, store: staged)
        // On get, --counter and --backed-up speak about this assertion, whatever the credential was made with.
        authenticator.counterOverride = counter
        if backedUp { authenticator.backedUpOverride = true }
        client = WebAuthnClient(authenticator: authenticator, configuration: configuration)
    }

    /// The ceremony a command's flags describe.
    package init(file: KeystoreFile, authenticator options: AuthenticatorOptions, configuration: ClientConfiguration = .init()) throws {
        try self.init(file: file, policy: try options.apply(to: file.policy), configuration: configuration,
                      counter: options.counter, backedUp: options.backedUp)
    }

    package func commit() throws { try staged.commit() }
}
