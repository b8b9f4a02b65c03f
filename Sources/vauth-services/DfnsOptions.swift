import ArgumentParser
import Foundation
import VauthCLI
import VauthServices
import VauthWebAuthn

extension DfnsCredentialMaker.FirstFactor: ExpressibleByArgument {}

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

    @Option(help: ArgumentHelp("Bearer token for the init call (online; else $VAUTH_DFNS_TOKEN).", valueName: "token"))
    var token: String?

    @Option(help: "Seconds to wait for the service.")
    var timeout: Double = 30

    /// The online configuration, or `nil` offline. Checked before the keystore is opened.
    func service() throws -> DfnsClient.Configuration? {
        guard let apiURL else {
            if appId != nil || token != nil { throw CLIError.badInput("--app-id and --token need --api-url") }
            return nil
        }
        guard let url = URL(string: apiURL), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw CLIError.badInput("--api-url is not an http(s) URL: \(apiURL)")
        }
        guard let appId, !appId.isEmpty else { throw CLIError.badInput("--api-url needs --app-id (the X-DFNS-APPID of the application)") }
        guard timeout > 0 else { throw CLIError.badInput("--timeout must be positive") }
        let token = self.token ?? ProcessInfo.processInfo.environment["VAUTH_DFNS_TOKEN"]
        return .init(baseURL: url, appId: appId, token: token.flatMap { $0.isEmpty ? nil : $0 }, timeout: timeout)
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
