import ArgumentParser
import VauthAuthenticator
import VauthCrypto
import VauthKeystore
#if VAUTH_SERVICES
import VauthServices
#endif
import VauthWebAuthn

/// An error the CLI reports: one line, one exit status.
struct CLIError: Error {
    enum Status: Int32 {
        /// The operation was refused or failed: no matching credential, excluded credential,
        /// user verification refused, the server said no.
        case refused = 1
        /// Bad input or usage: malformed JSON, rpId not valid for the origin, unreadable file,
        /// wrong passphrase, corrupt keystore.
        case badInput = 2
    }

    let status: Status
    let message: String

    init(_ status: Status, _ message: String) {
        self.status = status
        self.message = message
    }

    static func refused(_ message: String) -> CLIError { CLIError(.refused, message) }
    static func badInput(_ message: String) -> CLIError { CLIError(.badInput, message) }
}

/// Maps any error to the contract's message and exit status.
struct CLIFailure {
    let message: String
    let exitCode: Int32

    init(_ error: any Error, parseMessage: String) {
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
        #if VAUTH_SERVICES
        case let error as ServiceError:
            return (error.description, refused)
        #endif
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
