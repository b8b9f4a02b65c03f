import ArgumentParser
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth signin [--alias A | --user-id U]`: the Passwordless.dev client sign-in.
struct SigninCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.signin.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var service: PasswordlessOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(help: ArgumentHelp("The origin the sign-in claims, e.g. https://example.com.", valueName: "origin"))
    var origin: String

    @Option(help: "Sign in by alias.")
    var alias: String?

    @Option(name: .customLong("user-id"), help: "Sign in by user id.")
    var userId: String?

    func run() async throws {
        let configuration = try service.configuration()
        let origin = try Origin(self.origin)
        let rpId = try RPIDValidator().rpId(service.rpId, for: origin)
        let target: PasswordlessClient.SignInTarget
        switch (alias, userId) {
        case (.some, .some): throw CLIError.badInput("--alias and --user-id exclude each other")
        case (.some(let alias), nil): target = .alias(alias)
        case (nil, .some(let userId)): target = .userId(userId)
        case (nil, nil): target = .discoverable
        }
        guard try KeystoreFile.exists(at: global.path) else {
            throw CLIError.refused("NotAllowedError: no credential for \(rpId): there is no keystore at \(global.path) yet")
        }
        let file = try global.open(.readWrite)
        let ceremony = try Ceremony(file: file, authenticator: authenticator)
        let token = try await PasswordlessClient(configuration: configuration, clientVersion: Vauth.version)
            .signIn(target, origin: origin, rpId: rpId, client: ceremony.client, staged: ceremony.staged)
        Terminal.printJSON(.object([("token", .string(token))]), compact: global.compact)
    }
}
