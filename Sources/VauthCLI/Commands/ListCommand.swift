import ArgumentParser
import VauthAuthenticator
import VauthCrypto
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
        // A damaged record does not hide the others: they are listed, and it is named (exit 2).
        var records: [CredentialRecord] = [], damaged: [String] = []
        for reading in try file.readEveryRecord() {
            switch reading {
            case .readable(let record, _): if rpId == nil || record.rpId == rpId { records.append(record) }
            case .damaged(let id, let reason): damaged.append("\(Base64.urlEncode(id)): \(reason)")
            }
        }
        Terminal.printJSON(.array(records.map(CredentialListing.row)), compact: global.compact)
        guard damaged.isEmpty else { throw KeystoreError.damagedRecords(path: file.path, records: damaged) }
    }
}
