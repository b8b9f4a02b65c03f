import Foundation
import VauthCLI

/// A token or key that can be given on the command line, in a file, or in the environment.
///
/// The command line is the worst of the three: every local user can read any process's arguments
/// (`/proc/PID/cmdline`, `ps`), for as long as the process runs, and shells keep them in history.
/// A file (mode 0600, or a pipe: `--token-file <(pass show dfns)`) or the environment
/// (`/proc/PID/environ` is readable by the same user only) is not visible to others. The argument
/// forms keep working, since scripts use them, but each use prints a warning that says why and
/// what to use instead.
struct SecretInput {
    /// `--token`, `--api-key`, `register TOKEN`: how the command line form is spelt in messages.
    let argumentName: String
    /// `--token-file`, `--api-key-file`.
    let fileFlag: String
    /// `VAUTH_DFNS_TOKEN`, …
    let environmentName: String
    /// "Dfns bearer token", for messages.
    let what: String

    /// The value from the command line, else the file, else the environment; nil if none is set.
    /// Both a command-line value and a file is a usage error.
    func resolve(argument: String?, file: String?) throws -> String? {
        if argument != nil, file != nil {
            throw CLIError.badInput("give the \(what) as \(argumentName) or with \(fileFlag), not both")
        }
        if let argument {
            Terminal.warn("the \(what) on the command line (\(argumentName)) can be read by every local user "
                          + "(/proc/PID/cmdline, ps) while vauth runs; pass it with \(fileFlag) FILE or $\(environmentName)")
            return try checked(argument, from: argumentName)
        }
        if let file {
            var bytes = try InputFile.bytes(file, what: what + " file", limit: 64 << 10)
            defer { for index in bytes.indices { bytes[index] = 0 } }
            // One trailing line break is what `echo token > file` leaves; it is not part of the token.
            if bytes.last == 0x0a { bytes.removeLast() }
            if bytes.last == 0x0d { bytes.removeLast() }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw CLIError.badInput("the \(what) file \(file) is not UTF-8 text")
            }
            return try checked(text, from: "the \(what) file \(file)")
        }
        if let value = ProcessInfo.processInfo.environment[environmentName], !value.isEmpty {
            return try checked(value, from: "$\(environmentName)")
        }
        return nil
    }

    /// A token goes into an HTTP header or a JSON string: an empty one, or one with a line break
    /// or another control character (a file with two lines, a pasted CR), is a mistake to name
    /// now rather than a confusing refusal from the service later.
    private func checked(_ value: String, from source: String) throws -> String {
        guard !value.isEmpty else { throw CLIError.badInput("\(source): the \(what) is empty") }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw CLIError.badInput("\(source): the \(what) contains a line break or another control character")
        }
        return value
    }
}
