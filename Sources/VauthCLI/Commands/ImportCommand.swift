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
        let bytes = try InputFile.bytes(input, what: "import file")
        let document: JSONValue
        do { document = try JSONParser.parse(bytes) } catch { throw CLIError.badInput("import file: \(error.message)") }
        let records: [CredentialRecord]
        var truncations: [String] = []
        do {
            records = try CredentialTransfer.importRecords(document, now: Authenticator.systemClock()) { truncations.append($0) }
        } catch {
            throw CLIError.badInput("import file: \(error)")
        }
        guard !records.isEmpty else { throw CLIError.badInput("import file holds no credentials") }
        let file = try global.open(.readWrite, create: true)
        try file.insert(records)
        // Said once the credentials are in: a failed import changed nothing to warn about.
        for truncation in truncations { Terminal.warn("import file: " + truncation) }
        Terminal.printJSON(.object([("imported", .array(records.map { .string(Base64.urlEncode($0.id)) }))]), compact: global.compact)
    }
}
