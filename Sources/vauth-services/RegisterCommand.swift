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

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "File holding the register_… token your backend got from /register/token (else $VAUTH_PASSWORDLESS_TOKEN).",
        valueName: "file"))
    var tokenFile: String?

    @Argument(help: ArgumentHelp(
        "The register_… token on the command line: works, with a warning, since every local user can read a process's arguments "
        + "and could race you to register with it.", valueName: "token"))
    var token: String?

    static let tokenInput = SecretInput(argumentName: "the TOKEN argument", fileFlag: "--token-file",
                                        environmentName: "VAUTH_PASSWORDLESS_TOKEN", what: "register token")

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
        guard let token = try Self.tokenInput.resolve(argument: token, file: tokenFile) else {
            throw CLIError.badInput("no register token: use --token-file FILE or set VAUTH_PASSWORDLESS_TOKEN (the register_… token from /register/token)")
        }
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
