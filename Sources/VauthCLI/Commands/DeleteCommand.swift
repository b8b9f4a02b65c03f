import ArgumentParser
import VauthCrypto
import VauthKeystore
import VauthWebAuthn

/// `vauth delete ID`.
package struct DeleteCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.delete.configuration()

    @OptionGroup var global: KeystoreOptions

    // Base64url ids may begin with "-", which a parser would take for an option; unrecognised
    // dashes therefore land here rather than in a usage error.
    @Argument(parsing: .allUnrecognized, help: "The credential id (base64url).")
    var credentialIds: [String] = []

    package init() {}

    package func run() async throws {
        let credentialIds = CredentialIdArgument.ids(self.credentialIds)
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
    /// Base64url ids may begin with "-" (one in 64) or even "---" (one in 262,144). ArgumentParser
    /// rejects a "---" token as a malformed option before any parsing strategy sees it, and such a
    /// token can never be an option, so it is rewritten: after `--credential` it is joined to it
    /// (`--credential=---x`); elsewhere it moves behind a `--` terminator at the end, where it is a
    /// positional argument. Single-dash ids are handled by the commands' parsing strategies.
    static func normalize(_ arguments: [String]) -> [String] {
        var kept: [String] = [], positional: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                positional += arguments[(index + 1)...]
                break
            }
            if argument == "--credential", index + 1 < arguments.count, arguments[index + 1].hasPrefix("-") {
                kept.append("--credential=" + arguments[index + 1])
                index += 2
                continue
            }
            if argument.hasPrefix("---") { positional.append(argument) } else { kept.append(argument) }
            index += 1
        }
        return positional.isEmpty ? kept : kept + ["--"] + positional
    }

    /// The ids a command captured, without the `--` terminator ArgumentParser hands on with them.
    static func ids(_ captured: [String]) -> [String] { captured.filter { $0 != "--" } }

    static func decode(_ text: String) throws -> [UInt8] {
        guard let id = Base64.urlDecode(text), !id.isEmpty else { throw CLIError.badInput("credential id \(text) is not base64url") }
        return id
    }
}
