import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import VauthCrypto
import VauthWebAuthn

/// `vauth create`: `navigator.credentials.create()` without a browser.
package struct CreateCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.create.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var client: ClientOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    package init() {}

    package func run() async throws {
        // Input is checked before the keystore is touched (or a passphrase asked for).
        let options = try PublicKeyCredentialCreationOptions(jsonBytes: try InputFile.bytes(client.options, what: "options", limit: InputFile.optionsLimit))
        let origin = try client.parsedOrigin()
        let file = try global.open(.readWrite, create: true)
        let ceremony = try Ceremony(file: file, authenticator: authenticator, configuration: try client.configuration())
        let response = try ceremony.client.create(options, origin: origin)
        try ceremony.commit()
        // A response that cannot be delivered leaves the RP without the credential, as a browser
        // whose page went away: the credential is removed again (README, "When output fails").
        do { try Terminal.writeJSON(response.json, compact: global.compact) } catch {
            let failure = Terminal.stdoutMessage(Terminal.stdoutFailure ?? EIO)
            Terminal.stdoutFailure = nil
            do { try file.delete(ids: [response.rawId]) } catch {
                throw CLIError.badInput("\(failure); the credential \(Base64.urlEncode(response.rawId)) is stored but its response was lost (\(error))")
            }
            throw CLIError.badInput("\(failure); the credential was not kept")
        }
    }
}
