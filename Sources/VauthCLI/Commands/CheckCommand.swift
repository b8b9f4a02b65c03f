import ArgumentParser
import VauthKeystore
import VauthWebAuthn

/// `vauth check`: authenticate every byte of the keystore.
package struct CheckCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.check.configuration()

    @OptionGroup var global: KeystoreOptions

    package init() {}

    package func run() async throws {
        let file = try global.open(.read)
        try file.verifyAll()
        if file.journalHasDamagedSlot {
            Terminal.warn("one slot of the counter journal failed authentication and was ignored (an interrupted counter update, or damage); the other slot's counters are in use")
        }
        Terminal.printJSON(.object([("keystore", .string(file.path)), ("ok", true), ("credentials", .number(Double(file.credentialCount)))]),
                           compact: global.compact)
    }
}
