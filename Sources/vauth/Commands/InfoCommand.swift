import ArgumentParser
import VauthAuthenticator
import VauthKeystore
import VauthWebAuthn

/// `vauth info`: the authenticator's getInfo (CTAP 2.2 §6.4) as JSON.
struct InfoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "info", abstract: "Print the authenticator's getInfo as JSON.")

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    func run() async throws {
        let file = try global.open(.read)
        let auth = Authenticator(identity: try file.identity(), policy: try authenticator.apply(to: file.policy),
                                 store: InMemoryCredentialStore())
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
            ("keystore", .object([("path", .string(file.path)), ("credentials", .number(Double(file.credentialCount))),
                                  ("policy", PolicyJSON.value(file.policy))])),
        ]), compact: global.compact)
    }
}
