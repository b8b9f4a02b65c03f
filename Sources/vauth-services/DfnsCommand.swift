import ArgumentParser
import Foundation
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth dfns register | sign | recover | totp`: Dfns user credentials (contract: docs/services/dfns.md).
struct DfnsCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.dfns.configuration(
        subcommands: [DfnsRegisterCommand.self, DfnsSignCommand.self, DfnsRecoverCommand.self, DfnsTotpCommand.self])
}

/// Runs a Dfns command body, giving ``DfnsError`` the contract's exit status: 2 for input to fix,
/// 1 for a refusal.
func withDfnsErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as DfnsError {
        throw CLIError(error.isBadInput ? .badInput : .refused, error.description)
    }
}

/// Commits a ceremony the service already accepted; a failure says so, since the service now knows
/// credentials the keystore lacks.
enum DfnsCommit {
    static func afterService(_ ceremony: Ceremony, what: String) throws {
        do {
            try ceremony.commit()
        } catch {
            let failure = CLIFailure(error, parseMessage: "")
            throw CLIError(CLIError.Status(rawValue: failure.exitCode) ?? .refused,
                           "Dfns accepted the \(what), but the keystore was not updated: \(failure.message)")
        }
    }
}

/// The one time a recovery code is shown: on stderr, never in the JSON on stdout.
enum DfnsRecoveryNotice {
    static func show(_ code: DfnsRecoveryCode, username: String) {
        Terminal.note("recovery code for \(username), shown only now (it and the username recover the account): \(code.revealedText())")
    }
}
