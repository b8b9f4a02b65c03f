import ArgumentParser
import VauthAuthenticator
import VauthKeystore
import VauthWebAuthn

/// `vauth init`: create the keystore explicitly; never overwrites one.
package struct InitCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.initKeystore.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(help: ArgumentHelp("The authenticator's AAGUID (default: vauth's own).", valueName: "uuid"))
    var aaguid: String?

    package init() {}

    package func run() async throws {
        let path = global.path
        if try KeystoreFile.exists(at: path) { throw KeystoreError.alreadyExists(path: path) }
        var aaguidValue = AAGUID.vauthDefault
        if let aaguid {
            guard let parsed = AAGUID(string: aaguid) else { throw CLIError.badInput("--aaguid is not a UUID: \(aaguid)") }
            aaguidValue = parsed
        }
        let policy = try authenticator.apply(to: AuthenticatorPolicy())
        let identity = try AuthenticatorIdentity.generate(aaguid: aaguidValue, now: Authenticator.systemClock() / 1000)
        let unlock = try global.unlock(newKeystore: true)
        // requireNew: checked again under the lock, so two `init`s at once cannot both succeed.
        let file = try KeystoreFile(path: path, unlock: unlock, access: .readWrite,
                                    creating: .init(identity: identity, policy: policy, scrypt: global.scrypt), requireNew: true)
        // Written now, not on first credential: `init` is the explicit creation.
        try file.setPolicy(policy)
        Terminal.printJSON(.object([
            ("keystore", .string(path)), ("aaguid", .string(identity.aaguid.description)),
            ("unlock", .string(unlock.isKeyFile ? "key-file" : "passphrase")), ("policy", PolicyJSON.value(policy)),
        ]), compact: global.compact)
    }
}

extension KeystoreUnlock {
    var isKeyFile: Bool {
        if case .keyFile = self { return true }
        return false
    }
}

/// The policy as JSON, for `init`, `policy` and `info`.
enum PolicyJSON {
    static func value(_ policy: AuthenticatorPolicy) -> JSONValue {
        .object([
            ("attestation", .string(policy.attestation.rawValue)),
            ("userVerification", .string(policy.userVerification.rawValue)),
            ("signCounter", .string(policy.signCounter.rawValue)),
            ("backupEligible", .bool(policy.backupEligible)),
            ("backedUp", .bool(policy.backedUp)),
            ("algorithms", .array(policy.algorithms.map { .string($0.name) })),
        ])
    }
}
