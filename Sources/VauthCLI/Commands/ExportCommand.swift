import ArgumentParser
import VauthAuthenticator
import VauthKeystore
import VauthTransfer
import VauthWebAuthn

extension CredentialTransfer.Format: ExpressibleByArgument {}

/// `vauth export [ID] [--format vauth|cdp|playwright]`: credentials with their private keys.
package struct ExportCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.export.configuration()

    @OptionGroup var global: KeystoreOptions

    // As in `delete`: an id may begin with "-".
    @Argument(parsing: .allUnrecognized, help: "Only this credential (base64url id).")
    var credentialIds: [String] = []

    @Option(help: "vauth (default), cdp (WebAuthn.Credential, standard base64) or playwright (a storageState whose credentials are Playwright VirtualCredentials; ES256 only).")
    var format: CredentialTransfer.Format = .vauth

    package init() {}

    package func run() async throws {
        let file = try global.open(.read)
        let credentialIds = CredentialIdArgument.ids(self.credentialIds)
        guard credentialIds.count <= 1 else { throw CLIError.badInput("vauth export takes at most one credential id") }
        var records: [CredentialRecord]
        if let credentialId = credentialIds.first {
            let id = try CredentialIdArgument.decode(credentialId)
            // Only this record is read: damage elsewhere does not stop exporting it.
            guard let record = try file.record(id: id, rpId: nil) else { throw CLIError.refused("no credential \(credentialId) in \(file.path)") }
            records = [record]
        } else {
            // All or nothing: an export that silently left out a damaged credential would look complete.
            records = try file.readableRecords()
        }
        // Built before the note, so a refused export (a Dfns key in cdp format) prints only its error.
        let document = try CredentialTransfer.export(records, format: format)
        // The note follows the document: an export that could not be written gets one error line.
        try Terminal.writeJSON(document, compact: global.compact)
        Terminal.note("the export contains private keys (and any TOTP secrets and kept passwords); keep it as safe as the keystore")
    }
}
