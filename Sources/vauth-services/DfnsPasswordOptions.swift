import ArgumentParser
import Foundation
import VauthCLI
import VauthCrypto
import VauthServices

/// The Dfns password (Password credentials, PasswordProtectedKey encryption): from a file or the
/// environment only. There is no command-line form: a process's arguments are readable by every
/// local user, and a password is worth more than a one-time token.
struct DfnsPasswordOptions: ParsableArguments {
    @Option(name: .customLong("password-file"), help: ArgumentHelp(
        "File holding the Dfns password (else $VAUTH_DFNS_PASSWORD; there is no command-line form: every local user can read a "
        + "process's arguments). One trailing line break is ignored.", valueName: "file"))
    var passwordFile: String?

    static let environmentName = "VAUTH_DFNS_PASSWORD"

    /// The password, if one was given.
    func password() throws -> DfnsPassword? {
        if let passwordFile {
            var bytes = try InputFile.bytes(passwordFile, what: "password file", limit: 64 << 10)
            defer { for index in bytes.indices { bytes[index] = 0 } }
            if bytes.last == 0x0a { bytes.removeLast() }
            if bytes.last == 0x0d { bytes.removeLast() }
            return try DfnsPassword(SecretBytes(bytes), source: "the password file \(passwordFile)")
        }
        if let text = ProcessInfo.processInfo.environment[Self.environmentName], !text.isEmpty {
            return try DfnsPassword(SecretBytes(Array(text.utf8)), source: "$\(Self.environmentName)")
        }
        return nil
    }
}

extension DfnsFactorKind: ExpressibleByArgument {}

/// A Password travels in clear inside the body, which vauth never prints: such a body goes to the
/// service (online) or nowhere.
enum DfnsPasswordBody {
    static func refuseOffline(_ what: String) -> CLIError {
        CLIError.badInput("\(what) carries the password itself, which vauth never prints: send it with --api-url (online), "
                          + "or use a password-protected-key instead")
    }
}
