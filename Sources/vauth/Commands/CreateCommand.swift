import ArgumentParser
import VauthWebAuthn

/// `vauth create`: `navigator.credentials.create()` without a browser.
struct CreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Register: read PublicKeyCredentialCreationOptionsJSON, print RegistrationResponseJSON.")

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var client: ClientOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    func run() async throws {
        // Input is checked before the keystore is touched (or a passphrase asked for).
        let options = try PublicKeyCredentialCreationOptions(json: try InputFile.read(client.options, what: "options"))
        let origin = try client.parsedOrigin()
        let file = try global.open(.readWrite, create: true)
        let ceremony = try Ceremony(file: file, authenticator: authenticator, configuration: try client.configuration())
        let response = try ceremony.client.create(options, origin: origin)
        try ceremony.commit()
        Terminal.printJSON(response.json, compact: global.compact)
    }
}
