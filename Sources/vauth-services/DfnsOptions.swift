import ArgumentParser
import Foundation
import VauthCLI
import VauthServices
import VauthWebAuthn

/// What every `vauth dfns` command takes: the challenge, the app origin, and the service flags
/// that make it perform the HTTP calls itself.
struct DfnsOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The challenge JSON file, or - for stdin (offline: default -; online: given instead of the init call).",
                               valueName: "file"))
    var challenge: String?

    @Option(help: ArgumentHelp("The app origin that goes into clientData, e.g. https://app.example.com.", valueName: "origin"))
    var origin: String

    @Option(name: .customLong("api-url"), help: ArgumentHelp("Dfns API base URL: perform the HTTP calls (online).", valueName: "url"))
    var apiURL: String?

    @Option(name: .customLong("app-id"), help: ArgumentHelp("X-DFNS-APPID of the application (online).", valueName: "id"))
    var appId: String?

    @Option(name: .customLong("token-file"), help: ArgumentHelp(
        "File holding the bearer token for the init call (online; else $VAUTH_DFNS_TOKEN). A file or the environment keeps it out of the process list.",
        valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp(
        "The bearer token on the command line: works, with a warning, since every local user can read a process's arguments.",
        valueName: "token"))
    var token: String?

    @Option(help: "Seconds all calls to the service may take together: a deadline, not an idle timeout.")
    var timeout: Double = 30

    @Flag(name: .customLong("allow-insecure-http"), help: "Allow a plain http:// API URL to a host other than localhost (tokens cross the network in clear text).")
    var allowInsecureHTTP = false

    static let tokenInput = SecretInput(argumentName: "--token", fileFlag: "--token-file", environmentName: "VAUTH_DFNS_TOKEN",
                                        what: "Dfns bearer token")

    /// The online configuration, or `nil` offline. Checked before the keystore is opened.
    func service() throws -> DfnsClient.Configuration? {
        guard let apiURL else {
            if appId != nil || token != nil || tokenFile != nil { throw CLIError.badInput("--app-id and --token need --api-url") }
            return nil
        }
        let endpoint: ServiceEndpoint
        do {
            endpoint = try ServiceEndpoint(apiURL, what: "--api-url", allowInsecureHTTP: allowInsecureHTTP)
        } catch {
            throw CLIError.badInput(error.description)
        }
        guard let appId, !appId.isEmpty else { throw CLIError.badInput("--api-url needs --app-id (the X-DFNS-APPID of the application)") }
        guard timeout > 0, timeout.isFinite else { throw CLIError.badInput("--timeout must be a positive number of seconds") }
        let token = try Self.tokenInput.resolve(argument: token, file: tokenFile)
        return .init(endpoint: endpoint, appId: appId, token: token, timeout: timeout)
    }

    func parsedOrigin() throws -> Origin { try Origin(origin) }

    /// The challenge document; offline it must be given (stdin by default).
    func challengeJSON(online: Bool) throws -> JSONValue? {
        guard let path = challenge ?? (online ? nil : "-") else { return nil }
        // A Dfns challenge is a few kilobytes; a megabyte bounds what a wrong file can cost.
        let bytes = try InputFile.bytes(path, what: "challenge", limit: 1 << 20)
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw CLIError.badInput("challenge \(path) is not JSON: \(error.message)")
        }
    }
}
