import ArgumentParser
import VauthCrypto
import VauthKeystore

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
        CrashReporting.install()
        KeystoreFile.warningHandler = { Terminal.warn($0) }
        // The one answer that needs no parsing: ArgumentParser's reflection over every command's
        // options is most of a start-up otherwise.
        if CommandLine.arguments.dropFirst().elementsEqual(["--version"]) {
            do { try Terminal.writeStdoutChecked(version + "\n") } catch {
                Terminal.printError(Terminal.stdoutMessage(Terminal.stdoutFailure ?? EIO))
                Glibc.exit(CLIError.Status.badInput.rawValue)
            }
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
            // Output that did not reach stdout (a full disk, a closed pipe) is a failure even
            // when the command went on: a backup cut short must not look complete.
            if let code = Terminal.stdoutFailure {
                Terminal.printError(Terminal.stdoutMessage(code))
                Glibc.exit(CLIError.Status.badInput.rawValue)
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser's own text, on stdout.
                do { try Terminal.writeStdoutChecked(fullMessage(for: error) + "\n") } catch {
                    Terminal.printError(Terminal.stdoutMessage(Terminal.stdoutFailure ?? EIO))
                    Glibc.exit(CLIError.Status.badInput.rawValue)
                }
                Glibc.exit(0)
            }
            let failure = CLIFailure(error, parseMessage: message(for: error))
            Terminal.printError(failure.message)
            Glibc.exit(failure.exitCode)
        }
    }
}
