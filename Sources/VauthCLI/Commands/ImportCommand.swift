import ArgumentParser
import VauthAuthenticator
import VauthCrypto
import VauthKeystore
import VauthTransfer
import VauthWebAuthn

/// `vauth import [FILE|-]`: CDP or Playwright credentials, or a vauth export.
package struct ImportCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.importCredentials.configuration()

    @OptionGroup var global: KeystoreOptions

    @Argument(help: "The file to read, or - for stdin (default).")
    var input: String = "-"

    package init() {}

    package func run() async throws {
        let text = try InputFile.read(input, what: "import file")
        let document: JSONValue
        do { document = try JSONParser.parse(text) } catch { throw CLIError.badInput("import file: \(error.message)") }
        let records: [CredentialRecord]
        do { records = try CredentialTransfer.importRecords(document, now: Authenticator.systemClock()) } catch {
            throw CLIError.badInput("import file: \(error)")
        }
        guard !records.isEmpty else { throw CLIError.badInput("import file holds no credentials") }
        let file = try global.open(.readWrite, create: true)
        try file.insert(records)
        Terminal.printJSON(.object([("imported", .array(records.map { .string(Base64.urlEncode($0.id)) }))]), compact: global.compact)
    }
}
