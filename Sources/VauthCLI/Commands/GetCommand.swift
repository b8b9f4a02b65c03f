import ArgumentParser
import VauthKeystore
import VauthWebAuthn

/// `vauth get`: `navigator.credentials.get()` without a browser.
package struct GetCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.get.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var client: ClientOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    // .unconditional: the id may begin with "-".
    @Option(parsing: .unconditional, help: ArgumentHelp("With empty allowCredentials, use this discoverable credential instead of the newest.", valueName: "id"))
    var credential: String?

    package init() {}

    package func run() async throws {
        let options = try PublicKeyCredentialRequestOptions(jsonBytes: try InputFile.bytes(client.options, what: "options", limit: InputFile.optionsLimit))
        let origin = try client.parsedOrigin()
        let preferred = try credential.map(CredentialIdArgument.decode)
        guard try KeystoreFile.exists(at: global.path) else {
            throw CLIError.refused("NotAllowedError: no credential for this RP: there is no keystore at \(global.path) yet")
        }
        let file = try global.open(.readWrite)
        let ceremony = try Ceremony(file: file, authenticator: authenticator, configuration: try client.configuration())
        let response = try ceremony.client.get(options, origin: origin, preferredCredentialId: preferred)
        try ceremony.commit()
        Terminal.printJSON(response.json, compact: global.compact)
    }
}
