import ArgumentParser
import VauthAuthenticator
import VauthKeystore

/// `vauth policy [flags]`: show the authenticator policy stored in the keystore, or change it.
package struct PolicyCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.policy.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    package init() {}

    package func run() async throws {
        if authenticator.isEmpty {
            // Without a keystore, the policy a new one starts with.
            let policy = try KeystoreFile.exists(at: global.path) ? try global.open(.read).policy : AuthenticatorPolicy()
            Terminal.printJSON(PolicyJSON.value(policy), compact: global.compact)
            return
        }
        let file = try global.open(.readWrite, create: true)
        let policy = try authenticator.apply(to: file.policy)
        try file.setPolicy(policy)
        Terminal.printJSON(PolicyJSON.value(policy), compact: global.compact)
    }
}
