import ArgumentParser
import VauthCLI
import VauthServices

/// `vauth-services`: the whole vauth command tree (the catalogue in
/// Sources/VauthCLI/CommandCatalogue.swift), with the commands that use a network or a socket —
/// register, signin, dfns (URLSession), attach (a DevTools WebSocket through swift-nio), serve
/// (CTAPHID over UDP or uhid) — implemented here. `vauth` runs the offline commands itself and
/// execs this executable, same arguments, for everything else, so FoundationNetworking and with
/// it libcurl and some forty shared libraries (gnutls, krb5, ldap, ssh2, ICU…) load only here.
/// The man pages and shell completions are generated from this tree.
@main
struct VauthServices: AsyncParsableCommand {
    /// The networked commands this executable implements (the catalogue says where they appear).
    static let networkedCommands: [any ParsableCommand.Type] = [
        RegisterCommand.self, SigninCommand.self, DfnsCommand.self, AttachCommand.self, ServeCommand.self,
    ]

    static let configuration = CommandCatalogue.root.configuration(
        subcommands: CommandCatalogue.allSubcommands(networked: networkedCommands), version: VauthRelease.version)

    static func main() async {
        CLIMain.prepare()
        await CLIMain.run(Self.self, arguments: Array(CommandLine.arguments.dropFirst()))
    }
}

/// A service's refusal (an HTTP error, a problem document, an unreachable server): exit 1.
extension ServiceError: CLIReportableError {
    package var cliStatus: CLIError.Status { .refused }
    package var cliMessage: String { description }
}

/// The version the service clients send (`clientVersion`).
enum Vauth {
    static let version = VauthRelease.version
}
