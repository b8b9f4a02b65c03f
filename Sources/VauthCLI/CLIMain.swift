import ArgumentParser
import VauthCrypto
import VauthKeystore

#if canImport(Glibc)
import Glibc
#endif

/// The start and the end of a vauth process, the same in both executables: protections first,
/// then parse and run the command, then one `vauth: error:` line and the contract's exit status
/// (1 refused or failed, 2 bad input or usage) for any failure; help and version exit 0.
package enum CLIMain {
    /// Before any passphrase, key file or keystore is read: no core dump may hold them (an exec
    /// from `vauth` makes `vauth-services` dumpable again, so each process turns it off itself),
    /// a crash is one line, keystore warnings reach stderr.
    package static func prepare() {
        CoreDumpProtection.enable()
        CrashReporting.install()
        KeystoreFile.warningHandler = { Terminal.warn($0) }
    }

    /// `vauth --version`: the one answer that needs no parsing.
    package static func printVersion() -> Never {
        writeOrFail(VauthRelease.version + "\n")
        exit(0)
    }

    /// Parses `arguments` as `Root`'s command line and runs the command.
    package static func run<Root: ParsableCommand>(_ root: Root.Type, arguments: [String]) async -> Never {
        do {
            var command = try Root.parseAsRoot(CredentialIdArgument.normalize(arguments))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            finish()
        } catch {
            fail(error, root: Root.self)
        }
    }

    /// Exit 0, unless output did not reach stdout (a full disk, a closed pipe): that is a failure
    /// even when the command went on, so a backup cut short never looks complete.
    package static func finish() -> Never {
        if let code = Terminal.stdoutFailure {
            Terminal.printError(Terminal.stdoutMessage(code))
            exit(CLIError.Status.badInput.rawValue)
        }
        exit(0)
    }

    /// Reports `error` (ArgumentParser's help and version requests are not failures: their text
    /// goes to stdout, exit 0).
    package static func fail<Root: ParsableCommand>(_ error: any Error, root: Root.Type) -> Never {
        if Root.exitCode(for: error) == .success {
            writeOrFail(Root.fullMessage(for: error) + "\n")
            exit(0)
        }
        let failure = CLIFailure(error, parseMessage: Root.message(for: error))
        Terminal.printError(failure.message)
        exit(failure.exitCode)
    }

    private static func writeOrFail(_ text: String) {
        do { try Terminal.writeStdoutChecked(text) } catch {
            Terminal.printError(Terminal.stdoutMessage(Terminal.stdoutFailure ?? EIO))
            exit(CLIError.Status.badInput.rawValue)
        }
    }
}
