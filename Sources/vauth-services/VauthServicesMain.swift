import ArgumentParser
import VauthCrypto

#if canImport(Glibc)
import Glibc
#endif

/// The commands that talk to a network service: `vauth register`, `vauth signin`, `vauth demo`,
/// `vauth dfns`, `vauth attach` (a DevTools WebSocket, through swift-nio), `vauth serve` (CTAPHID
/// over UDP).
///
/// They live in this second executable, which `vauth` runs in its place (exec, same arguments),
/// because networking means FoundationNetworking, which links libcurl and with it some forty
/// shared libraries (gnutls, krb5, ldap, ssh2, ICU…): loading them took half of every `vauth get`.
/// The offline commands in `vauth` load none of them. The shared option and ceremony code is the
/// same source files as `vauth`'s (symbolic links in Shared/), compiled into both.
@main
struct VauthServices: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vauth",
        abstract: "vauth's networked commands (run through `vauth register`, `signin`, `demo`, `dfns`, `attach`, `serve`).",
        version: Vauth.version,
        subcommands: [RegisterCommand.self, SigninCommand.self, DemoCommand.self, DfnsCommand.self, AttachCommand.self, ServeCommand.self])

    static func main() async {
        // exec from `vauth` made the process dumpable again (RLIMIT_CORE 0 is inherited, the
        // dumpable flag is not): turn both on before anything is unlocked.
        CoreDumpProtection.enable()
        do {
            var command = try parseAsRoot(Array(CommandLine.arguments.dropFirst()))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let failure = CLIFailure(error, parseMessage: message(for: error))
            Terminal.printError(failure.message)
            Glibc.exit(failure.exitCode)
        }
    }
}

/// The version both executables report.
enum Vauth {
    static let version = VauthRelease.version
}
