import ArgumentParser
import VauthAuthenticator
import VauthKeystore
import VauthWebAuthn

/// `vauth info`: the authenticator's getInfo (CTAP 2.2 §6.4) as JSON.
package struct InfoCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.info.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    package init() {}

    package func run() async throws {
        // Without a keystore: what a new one would report (vauth's AAGUID, the default policy).
        let file = try KeystoreFile.exists(at: global.path) ? try global.open(.read) : nil
        let identity = try file?.identity() ?? AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)
        let policy = file?.policy ?? AuthenticatorPolicy()
        let auth = Authenticator(identity: identity, policy: try authenticator.apply(to: policy), store: InMemoryCredentialStore())
        if let file { auth.pinStore = KeystorePINStateStore(file: file) }
        let info = auth.getInfo()
        Terminal.printJSON(.object([
            ("versions", .array(info.versions.map(JSONValue.string))),
            ("extensions", .array(info.extensions.map(JSONValue.string))),
            ("aaguid", .string(info.aaguid.description)),
            ("options", .object(info.options.sorted { $0.key < $1.key }.map { ($0.key, .bool($0.value)) })),
            ("maxMsgSize", .number(Double(info.maxMsgSize))),
            ("pinUvAuthProtocols", .array(info.pinUvAuthProtocols.map { .number(Double($0)) })),
            ("maxCredentialCountInList", .number(Double(info.maxCredentialCountInList))),
            ("maxCredentialIdLength", .number(Double(info.maxCredentialIdLength))),
            ("transports", .array(info.transports.map(JSONValue.string))),
            ("algorithms", .array(info.algorithms.map { .object([("type", "public-key"), ("alg", .number(Double($0.rawValue)))]) })),
            ("firmwareVersion", .number(Double(info.firmwareVersion))),
            ("attestationFormats", .array(info.attestationFormats.map(JSONValue.string))),
            ("keystore", .object([("path", .string(global.path)), ("exists", .bool(file != nil)),
                                  ("credentials", .number(Double(file?.credentialCount ?? 0))), ("policy", PolicyJSON.value(policy))])),
        ]), compact: global.compact)
    }
}
