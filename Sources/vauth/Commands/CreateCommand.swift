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
        let response = try Ceremony.client(file: file, authenticator: authenticator, client: client).create(options, origin: origin)
        Terminal.printJSON(response.json, compact: global.compact)
    }
}
