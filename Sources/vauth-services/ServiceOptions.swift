import ArgumentParser
import Foundation
import VauthCLI
import VauthServices

/// `--api-url` / `--api-key` for Passwordless.dev (contract: docs/services/passwordless.md).
struct PasswordlessOptions: ParsableArguments {
    @Option(name: .customLong("api-url"), help: ArgumentHelp("Passwordless.dev API (else $VAUTH_PASSWORDLESS_URL, else https://v4.passwordless.dev).", valueName: "url"))
    var apiURL: String?

    @Option(name: .customLong("api-key-file"), help: ArgumentHelp(
        "File holding the PUBLIC API key, app:public:… (else $VAUTH_PASSWORDLESS_API_KEY). A file or the environment keeps it out of the process list.",
        valueName: "file"))
    var apiKeyFile: String?

    @Option(name: .customLong("api-key"), help: ArgumentHelp(
        "The PUBLIC API key on the command line: works, with a warning, since every local user can read a process's arguments.",
        valueName: "key"))
    var apiKey: String?

    @Option(name: .customLong("rp-id"), help: "The RP ID (default: the origin's host).")
    var rpId: String?

    @Option(help: "Seconds all calls to the service may take together: a deadline, not an idle timeout.")
    var timeout: Double = 30

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow a plain http:// API URL to a host other than localhost (the API key crosses the network in clear text).")
    var allowInsecureHTTP = false

    static let apiKeyInput = SecretInput(argumentName: "--api-key", fileFlag: "--api-key-file", environmentName: "VAUTH_PASSWORDLESS_API_KEY",
                                         what: "Passwordless.dev API key")

    func configuration() throws -> PasswordlessClient.Configuration {
        let environment = ProcessInfo.processInfo.environment
        let urlText = apiURL ?? environment["VAUTH_PASSWORDLESS_URL"] ?? PasswordlessClient.Configuration.defaultBaseURL
        let endpoint: ServiceEndpoint
        do {
            endpoint = try ServiceEndpoint(urlText, what: apiURL != nil ? "--api-url" : "$VAUTH_PASSWORDLESS_URL",
                                           allowInsecureHTTP: allowInsecureHTTP)
        } catch {
            throw CLIError.badInput(error.description)
        }
        guard let key = try Self.apiKeyInput.resolve(argument: apiKey, file: apiKeyFile) else {
            throw CLIError.badInput("no Passwordless.dev API key: use --api-key-file FILE or set VAUTH_PASSWORDLESS_API_KEY (app:public:…)")
        }
        // The secret key belongs on the RP's backend; sending it from a client would leak it.
        if key.contains(":secret:") {
            throw CLIError.badInput("that is the secret API key; vauth is the client and takes the public key (app:public:…)")
        }
        guard timeout > 0, timeout.isFinite else { throw CLIError.badInput("--timeout must be a positive number of seconds") }
        return .init(endpoint: endpoint, apiKey: key, timeout: timeout)
    }
}
