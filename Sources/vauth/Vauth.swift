import ArgumentParser
import VauthCLI

/// `vauth`: runs the offline commands of the catalogue (Sources/VauthCLI/CommandCatalogue.swift)
/// in this process and hands every other command line — the networked commands, `--help`, the
/// completion scripts, an unknown command — to `vauth-services`, whose tree holds every command.
/// This executable links neither Foundation nor libcurl nor swift-nio, so a `vauth get` process
/// loads only libcrypto, libcbor, libidn2, libpsl and libc.
@main
struct Vauth: AsyncParsableCommand {
    static let configuration = CommandCatalogue.root.configuration(subcommands: CommandCatalogue.vauthSubcommands,
                                                                    version: VauthRelease.version)

    static func main() async {
        CLIMain.prepare()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments == ["--version"] { CLIMain.printVersion() }
        if !Forwarding.runsHere(arguments) {
            do { try Forwarding.execServices(arguments) } catch { CLIMain.fail(error, root: Self.self) }
        }
        await CLIMain.run(Self.self, arguments: arguments)
    }
}
