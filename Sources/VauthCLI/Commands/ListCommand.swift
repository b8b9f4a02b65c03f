import ArgumentParser
import VauthKeystore
import VauthTransfer
import VauthWebAuthn

/// `vauth list`: the credentials, as a JSON array.
package struct ListCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.list.configuration()

    @OptionGroup var global: KeystoreOptions

    @Option(name: .customLong("rp-id"), help: "Only credentials of this RP ID.")
    var rpId: String?

    package init() {}

    package func run() async throws {
        guard try KeystoreFile.exists(at: global.path) else {
            Terminal.printJSON(.array([]), compact: global.compact)
            return
        }
        let file = try global.open(.read)
        let records = try file.allRecords().filter { rpId == nil || $0.rpId == rpId }
        Terminal.printJSON(.array(records.map(CredentialListing.row)), compact: global.compact)
    }
}
