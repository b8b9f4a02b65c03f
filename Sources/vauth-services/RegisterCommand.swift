import ArgumentParser
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth register TOKEN`: the Passwordless.dev client registration, token in, verify token out.
struct RegisterCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.register.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var service: PasswordlessOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Argument(help: "The register_… token your backend got from /register/token.")
    var token: String

    @Option(help: ArgumentHelp("The origin the registration claims, e.g. https://example.com.", valueName: "origin"))
    var origin: String

    @Option(help: "A nickname for the credential (at most 64 characters).")
    var nickname: String?

    @Option(help: "Authenticator attachment to report: platform or cross-platform.")
    var attachment: AuthenticatorAttachment?

    func run() async throws {
        let configuration = try service.configuration()
        let origin = try Origin(self.origin)
        let rpId = try RPIDValidator().rpId(service.rpId, for: origin)
        guard !token.isEmpty else { throw CLIError.badInput("empty registration token") }
        // The service's limit (contract: nickname ≤ 64); checked here so a bad nickname does not
        // spend the single-use token.
        if let nickname, nickname.count > 64 {
            throw CLIError.badInput("--nickname is \(nickname.count) characters; Passwordless.dev allows at most 64")
        }
        let file = try global.open(.readWrite, create: true)
        let ceremony = try Ceremony(file: file, authenticator: authenticator, configuration: ClientConfiguration(attachment: attachment))
        let registration = try await PasswordlessClient(configuration: configuration, clientVersion: Vauth.version)
            .register(token: token, origin: origin, rpId: rpId, nickname: nickname, client: ceremony.client, staged: ceremony.staged)
        Terminal.printJSON(.object([("token", .string(registration.verifyToken)), ("credentialId", .string(registration.credentialId))]),
                           compact: global.compact)
    }
}
