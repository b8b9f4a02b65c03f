import ArgumentParser
import VauthCrypto
import VauthKeystore
import VauthWebAuthn

/// `vauth check`: authenticate every byte of the keystore.
package struct CheckCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.check.configuration()

    @OptionGroup var global: KeystoreOptions

    package init() {}

    package func run() async throws {
        let file = try global.open(.read)
        _ = try file.identity()
        // Each record on its own: a damaged one is named (with every other damaged one) rather
        // than hiding the rest behind the first failure (issue 18 item 1).
        var damaged: [String] = []
        for reading in try file.readEveryRecord() {
            switch reading {
            case .readable(let record, let notes):
                for note in notes { Terminal.warn("credential \(Base64.urlEncode(record.id)): \(note) (CTAP 2.2 §6.1.2 lets a name be cut; the next change stores it so)") }
            case .damaged(let id, let reason):
                damaged.append("\(Base64.urlEncode(id)): \(reason)")
            }
        }
        guard damaged.isEmpty else { throw KeystoreError.damagedRecords(path: file.path, records: damaged) }
        if file.journalHasDamagedSlot {
            Terminal.warn("one slot of the counter journal failed authentication and was ignored (an interrupted counter update, or damage); the other slot's counters are in use")
        }
        Terminal.printJSON(.object([("keystore", .string(file.path)), ("ok", true), ("credentials", .number(Double(file.credentialCount)))]),
                           compact: global.compact)
    }
}
