import ArgumentParser
import VauthKeystore
import VauthWebAuthn

/// `vauth passwd`: re-encrypt the keystore under a new passphrase (or key file), atomically.
package struct PasswdCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.passwd.configuration()

    @OptionGroup var global: KeystoreOptions

    @Option(help: ArgumentHelp("Read the new passphrase from this file (else $VAUTH_NEW_PASSPHRASE, else ask).", valueName: "path"))
    var newPassphraseFile: String?

    @Option(help: ArgumentHelp("Protect the keystore with this raw 32-byte key file instead.", valueName: "path"))
    var newKeyFile: String?

    package init() {}

    package func run() async throws {
        let file = try global.open(.readWrite)
        let unlock: KeystoreUnlock
        if let newKeyFile {
            unlock = try KeystoreUnlock.keyFile(path: KeystoreOptions.absolute(newKeyFile))
        } else if let newPassphraseFile {
            unlock = try KeystoreOptions.passphrase(fromFile: newPassphraseFile)
        } else if let text = global.environment["VAUTH_NEW_PASSPHRASE"] {
            unlock = try KeystoreUnlock.passphrase(text: Array(text.utf8))
        } else {
            unlock = try KeystoreOptions.askPassphrase(for: file.path, confirm: true)
        }
        try file.changeUnlock(to: unlock, scrypt: global.scrypt)
        Terminal.printJSON(.object([("keystore", .string(file.path)), ("unlock", .string(unlock.isKeyFile ? "key-file" : "passphrase"))]),
                           compact: global.compact)
    }
}
