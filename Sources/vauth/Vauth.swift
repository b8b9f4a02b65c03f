import ArgumentParser
import VauthCrypto

#if canImport(Glibc)
import Glibc
#endif

/// The `vauth` command line. Each subcommand lives in its own file and does wiring only: parse
/// flags, open the keystore, call one library function, print its result. The contract is
/// ../shared/contracts/cli.md (summarised in the README).
@main
struct Vauth: AsyncParsableCommand {
    static let version = VauthRelease.version

    static let configuration = CommandConfiguration(
        commandName: "vauth",
        abstract: "A virtual FIDO2/WebAuthn authenticator: real credentials, an encrypted keystore, no browser.",
        version: version,
        subcommands: [
            DemoForward.self, InitCommand.self, CreateCommand.self, GetCommand.self, ListCommand.self, DeleteCommand.self,
            ExportCommand.self, ImportCommand.self, PasswdCommand.self, InfoCommand.self, AttestationCACommand.self,
            PolicyCommand.self, CheckCommand.self, RegisterForward.self, SigninForward.self, DfnsForward.self, BenchCommand.self,
            FixturesCommand.self, AttachForward.self, ServeForward.self,
        ])

    /// Runs the command and turns every failure into one `vauth: error:` line and the contract's
    /// exit status (1 refused or failed, 2 bad input or usage); help and version exit 0.
    static func main() async {
        // Before any passphrase, key file or keystore is read: no core dump may hold them.
        CoreDumpProtection.enable()
        // The one answer that needs no parsing: ArgumentParser's reflection over every command's
        // options is most of a start-up otherwise.
        if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
            Terminal.writeStdout(version + "\n")
            return
        }
        do {
            try NetworkedCommands.forwardIfNetworked(Array(CommandLine.arguments.dropFirst()))
            var command = try parseAsRoot(CredentialIdArgument.normalize(Array(CommandLine.arguments.dropFirst())))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser's own text, on stdout.
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let failure = CLIFailure(error, parseMessage: message(for: error))
            Terminal.printError(failure.message)
            Glibc.exit(failure.exitCode)
        }
    }
}
