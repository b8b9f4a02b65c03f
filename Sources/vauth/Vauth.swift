import ArgumentParser
import Foundation
import VauthKeystore

/// The `vauth` command line. Each subcommand lives in its own file and does wiring only: parse
/// flags, open the keystore, call one library function, print its result. The contract is
/// ../shared/contracts/cli.md (summarised in the README).
@main
struct Vauth: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "vauth",
        abstract: "A virtual FIDO2/WebAuthn authenticator: real credentials, an encrypted keystore, no browser.",
        version: version,
        subcommands: [
            DemoCommand.self, InitCommand.self, CreateCommand.self, GetCommand.self, ListCommand.self, DeleteCommand.self,
            ExportCommand.self, ImportCommand.self, PasswdCommand.self, InfoCommand.self, AttestationCACommand.self,
            PolicyCommand.self, CheckCommand.self, RegisterCommand.self, SigninCommand.self, DfnsCommand.self, BenchCommand.self,
            FixturesCommand.self, AttachCommand.self, ServeCommand.self,
        ])

    /// Runs the command and turns every failure into one `vauth: error:` line and the contract's
    /// exit status (1 refused or failed, 2 bad input or usage); help and version exit 0.
    static func main() async {
        CrashReporting.install()
        KeystoreFile.warningHandler = { Terminal.warn($0) }
        do {
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
                Foundation.exit(CLIError.Status.badInput.rawValue)
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser's own text, on stdout.
                do { try Terminal.writeStdoutChecked(fullMessage(for: error) + "\n") } catch {
                    Terminal.printError(Terminal.stdoutMessage(Terminal.stdoutFailure ?? EIO))
                    Foundation.exit(CLIError.Status.badInput.rawValue)
                }
                Foundation.exit(0)
            }
            let failure = CLIFailure(error, parseMessage: message(for: error))
            Terminal.printError(failure.message)
            Foundation.exit(failure.exitCode)
        }
    }
}
