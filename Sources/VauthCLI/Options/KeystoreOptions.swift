import ArgumentParser
import VauthAuthenticator
import VauthCrypto
import VauthKeystore

/// The global options every keystore command takes (contract: "Global").
package struct KeystoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Keystore file (default $VAUTH_KEYSTORE, else $XDG_DATA_HOME/vauth/keystore.vauth).", valueName: "path"))
    package var keystore: String?

    @Option(name: .long, help: ArgumentHelp("Read the passphrase from this file (else $VAUTH_PASSPHRASE, else ask on the terminal).", valueName: "path"))
    package var passphraseFile: String?

    @Option(name: .long, help: ArgumentHelp("Unlock with a raw 32-byte key file instead of a passphrase (or $VAUTH_KEY_FILE).", valueName: "path"))
    package var keyFile: String?

    @Flag(name: .long, help: "Print JSON on one line.")
    package var compact = false

    package init() {}

    package var environment: [String: String] { Terminal.environment }

    /// `--keystore`, `$VAUTH_KEYSTORE`, `$XDG_DATA_HOME/vauth/keystore.vauth`, `~/.local/share/vauth/keystore.vauth`.
    package var path: String {
        if let keystore { return Self.absolute(keystore) }
        if let fromEnvironment = environment["VAUTH_KEYSTORE"], !fromEnvironment.isEmpty { return Self.absolute(fromEnvironment) }
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/vauth/keystore.vauth" }
        return Terminal.homeDirectory + "/.local/share/vauth/keystore.vauth"
    }

    package static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : Terminal.currentDirectory + "/" + path
    }

    /// The unlock method: `--key-file`, `--passphrase-file`, `$VAUTH_KEY_FILE`, `$VAUTH_PASSPHRASE`,
    /// then a prompt on the terminal (twice, when the passphrase is new).
    package func unlock(newKeystore: Bool = false) throws -> KeystoreUnlock {
        if let keyFile { return try KeystoreUnlock.keyFile(path: Self.absolute(keyFile)) }
        if let passphraseFile { return try Self.passphrase(fromFile: passphraseFile) }
        if let keyFile = environment["VAUTH_KEY_FILE"], !keyFile.isEmpty { return try KeystoreUnlock.keyFile(path: Self.absolute(keyFile)) }
        if let text = environment["VAUTH_PASSPHRASE"] { return try KeystoreUnlock.passphrase(text: Array(text.utf8)) }
        return try Self.askPassphrase(for: path, confirm: newKeystore)
    }

    package static func passphrase(fromFile path: String) throws -> KeystoreUnlock {
        var bytes = try InputFile.bytes(path, what: "passphrase file", limit: 1 << 16)
        defer { for i in bytes.indices { bytes[i] = 0 } }
        return try KeystoreUnlock.passphrase(text: bytes)
    }

    package static func askPassphrase(for keystore: String, confirm: Bool, prompt: String? = nil) throws -> KeystoreUnlock {
        let question = prompt ?? (confirm ? "New passphrase for \(keystore): " : "Passphrase for \(keystore): ")
        guard let first = Terminal.readSecret(prompt: question) else {
            throw CLIError.badInput("no passphrase: use --passphrase-file, VAUTH_PASSPHRASE or --key-file (there is no terminal to ask on)")
        }
        if confirm {
            guard let second = Terminal.readSecret(prompt: "Repeat the passphrase: "), second.constantTimeEquals(first) else {
                throw CLIError.badInput("the two passphrases differ")
            }
        }
        return try first.withUnsafeBytes { try KeystoreUnlock.passphrase(text: Array($0)) }
    }

    /// scrypt cost for new keystores: 2^17 unless `$VAUTH_SCRYPT_LOG2N` says otherwise (tests use
    /// a cheaper one; the value is stored in the keystore header either way).
    package var scrypt: KeyDerivation.ScryptParameters {
        var parameters = KeyDerivation.ScryptParameters.interactive
        if let text = environment["VAUTH_SCRYPT_LOG2N"], let log2N = UInt8(text) { parameters.log2N = log2N }
        return parameters
    }

    /// Opens the keystore. `create` makes a new one on first write when none exists (the contract:
    /// "a command that needs the keystore and finds none creates it on first write").
    package func open(_ access: KeystoreFile.Access, create: Bool = false, policy: AuthenticatorPolicy = .init()) throws -> KeystoreFile {
        let path = path
        let exists = try KeystoreFile.exists(at: path)
        if !exists && !create { throw KeystoreError.notFound(path: path) }
        let unlock = try unlock(newKeystore: !exists)
        guard scrypt.isReasonable else { throw CLIError.badInput("VAUTH_SCRYPT_LOG2N must be between 10 and 22") }
        var creation: KeystoreFile.Creation?
        if create && !exists {
            creation = .init(identity: try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000), policy: policy, scrypt: scrypt)
        }
        return try KeystoreFile(path: path, unlock: unlock, access: access, creating: creation)
    }
}
