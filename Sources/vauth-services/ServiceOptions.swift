import ArgumentParser
import Foundation
import VauthCLI
import VauthServices

/// `--api-url` / `--api-key` for Passwordless.dev (contract: "Services").
struct PasswordlessOptions: ParsableArguments {
    @Option(name: .customLong("api-url"), help: ArgumentHelp("Passwordless.dev API (else $VAUTH_PASSWORDLESS_URL, else https://v4.passwordless.dev).", valueName: "url"))
    var apiURL: String?

    @Option(name: .customLong("api-key"), help: ArgumentHelp("The PUBLIC API key, app:public:… (else $VAUTH_PASSWORDLESS_API_KEY).", valueName: "key"))
    var apiKey: String?

    @Option(name: .customLong("rp-id"), help: "The RP ID (default: the origin's host).")
    var rpId: String?

    @Option(help: "Seconds to wait for the service.")
    var timeout: Double = 30

    func configuration() throws -> PasswordlessClient.Configuration {
        let environment = ProcessInfo.processInfo.environment
        let urlText = apiURL ?? environment["VAUTH_PASSWORDLESS_URL"] ?? PasswordlessClient.Configuration.defaultBaseURL.absoluteString
        guard let url = URL(string: urlText), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw CLIError.badInput("--api-url is not an http(s) URL: \(urlText)")
        }
        guard let key = apiKey ?? environment["VAUTH_PASSWORDLESS_API_KEY"], !key.isEmpty else {
            throw CLIError.badInput("no Passwordless.dev API key: pass --api-key app:public:… or set VAUTH_PASSWORDLESS_API_KEY")
        }
        // The secret key belongs on the RP's backend; sending it from a client would leak it.
        if key.contains(":secret:") {
            throw CLIError.badInput("that is the secret API key; vauth is the client and takes the public key (app:public:…)")
        }
        guard timeout > 0 else { throw CLIError.badInput("--timeout must be positive") }
        return .init(baseURL: url, apiKey: key, timeout: timeout)
    }
}
