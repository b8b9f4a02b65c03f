import ArgumentParser
import VauthAuthenticator
import VauthCrypto
import VauthKeystore
import VauthWebAuthn

/// An error the CLI reports: one line, one exit status.
package struct CLIError: Error {
    package enum Status: Int32 {
        /// The operation was refused or failed: no matching credential, excluded credential,
        /// user verification refused, the server said no.
        case refused = 1
        /// Bad input or usage: malformed JSON, rpId not valid for the origin, unreadable file,
        /// wrong passphrase, corrupt keystore.
        case badInput = 2
    }

    package let status: Status
    package let message: String

    package init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    package static func refused(_ message: String) -> CLIError { CLIError(.refused, message) }
    package static func badInput(_ message: String) -> CLIError { CLIError(.badInput, message) }
}

/// An error of a layer VauthCLI does not link (VauthServices' ServiceError) that says its own
/// message and exit status; the executable that links the layer declares the conformance.
package protocol CLIReportableError: Error {
    var cliStatus: CLIError.Status { get }
    var cliMessage: String { get }
}

/// Maps any error to the contract's message and exit status.
package struct CLIFailure {
    package let message: String
    package let exitCode: Int32

    package init(_ error: any Error, parseMessage: String) {
        (message, exitCode) = Self.describe(error, parseMessage: parseMessage)
    }

    private static func describe(_ error: any Error, parseMessage: String) -> (String, Int32) {
        let refused = CLIError.Status.refused.rawValue, badInput = CLIError.Status.badInput.rawValue
        switch error {
        case let error as CLIError:
            return (error.message, error.status.rawValue)
        case let error as KeystoreError:
            return (error.description, status(of: error).rawValue)
        case let error as WebAuthnClientError:
            // A keystore failure surfaces through the client; its own message and status say more.
            if error.kind == .storage, let underlying = error.underlying { return describe(innermost(underlying), parseMessage: parseMessage) }
            let kinds: [WebAuthnClientError.Kind] = [.notAllowed, .invalidState, .notSupported]
            return ("\(error.name): \(error.message)", kinds.contains(error.kind) ? refused : badInput)
        case let error as CTAPError:
            if let underlying = error.underlying { return describe(innermost(underlying), parseMessage: parseMessage) }
            return (error.description, refused)
        case let error as any CLIReportableError:
            return (error.cliMessage, error.cliStatus.rawValue)
        case let error as CryptoError:
            return (error.description, badInput)
        default:
            // ArgumentParser's parse errors and anything unforeseen: a usage problem.
            return (parseMessage.isEmpty ? String(describing: error) : parseMessage, badInput)
        }
    }

    /// Follows `underlying` chains down to the error that says what actually broke.
    private static func innermost(_ error: any Error) -> any Error {
        if let ctap = error as? CTAPError, let underlying = ctap.underlying { return innermost(underlying) }
        if let client = error as? WebAuthnClientError, client.kind == .storage, let underlying = client.underlying { return innermost(underlying) }
        return error
    }

    private static func status(of error: KeystoreError) -> CLIError.Status {
        switch error {
        case .notFound, .locked, .duplicateCredential, .changedConcurrently: return .refused
        default: return .badInput
        }
    }
}
