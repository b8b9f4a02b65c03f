import ArgumentParser
import VauthCrypto
import VauthKeystore
import VauthWebAuthn

/// `vauth delete ID`.
struct DeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a credential.")

    @OptionGroup var global: KeystoreOptions

    // Base64url ids may begin with "-", which a parser would take for an option; unrecognised
    // dashes therefore land here rather than in a usage error.
    @Argument(parsing: .allUnrecognized, help: "The credential id (base64url).")
    var credentialIds: [String] = []

    func run() async throws {
        guard credentialIds.count == 1, let credentialId = credentialIds.first else {
            throw CLIError.badInput("vauth delete takes exactly one credential id")
        }
        let id = try CredentialIdArgument.decode(credentialId)
        let file = try global.open(.readWrite)
        guard try file.delete(ids: [id]) == 1 else { throw CLIError.refused("no credential \(credentialId) in \(file.path)") }
        Terminal.printJSON(.object([("deleted", .string(Base64.urlEncode(id)))]), compact: global.compact)
    }
}

/// Credential ids on the command line are base64url without padding (contract: "Global").
enum CredentialIdArgument {
    static func decode(_ text: String) throws -> [UInt8] {
        guard let id = Base64.urlDecode(text), !id.isEmpty else { throw CLIError.badInput("credential id \(text) is not base64url") }
        return id
    }
}
