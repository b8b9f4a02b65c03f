import ArgumentParser
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth dfns sign`: signs a user action or login challenge with a Key or Fido2 credential the
/// challenge allows; prints the `/auth/action` (or `/auth/login`) body, or, online, sends it.
struct DfnsSignCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.dfnsSign.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var dfns: DfnsOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(name: .customLong("rp-id"), help: "RP ID of the Fido2 assertion (default: the one the credential was registered with).")
    var rpId: String?

    @Flag(help: "Online: a login (/auth/login/init, /auth/login) instead of a user action.")
    var login = false

    @Option(help: ArgumentHelp("Online login: the username.", valueName: "name"))
    var username: String?

    @Option(name: .customLong("org-id"), help: ArgumentHelp("Online login: the organisation id.", valueName: "id"))
    var orgId: String?

    @Option(name: .customLong("action-method"), help: ArgumentHelp("Online action: HTTP method of the API call to authorise.", valueName: "method"))
    var actionMethod: String = "POST"

    @Option(name: .customLong("action-path"), help: ArgumentHelp("Online action: path of the API call to authorise, e.g. /wallets.", valueName: "path"))
    var actionPath: String?

    @Option(name: .customLong("action-payload"), help: ArgumentHelp("Online action: the API call's JSON body, as text.", valueName: "json"))
    var actionPayload: String = ""

    func run() async throws {
        try await withDfnsErrors {
            let service = try dfns.service()
            let origin = try dfns.parsedOrigin()
            if service == nil, login || username != nil || orgId != nil || actionPath != nil {
                throw CLIError.badInput("--login, --username, --org-id and --action-path are for online signing (with --api-url)")
            }
            var challenge = try dfns.challengeJSON(online: service != nil).map { (json) throws -> DfnsActionChallenge in
                try DfnsActionChallenge(json: json)
            }
            if challenge == nil {
                if login, username == nil { throw CLIError.badInput("an online login needs --username") }
                if !login, actionPath == nil { throw CLIError.badInput("an online action needs --action-path (or --login)") }
            }
            guard try KeystoreFile.exists(at: global.path) else {
                throw CLIError.refused("no credential to sign with: there is no keystore at \(global.path) yet")
            }
            let file = try global.open(.readWrite)
            let ceremony = try Ceremony(file: file, authenticator: authenticator)
            let client = service.map { DfnsClient(configuration: $0, clientVersion: Vauth.version) }
            if challenge == nil, let client {
                challenge = login
                    ? try await client.loginChallenge(username: username ?? "", orgId: orgId)
                    : try await client.actionChallenge(method: actionMethod, path: actionPath ?? "", payload: actionPayload)
            }
            guard let challenge else { return }
            let body = try DfnsActionSigner(origin: origin, rpId: rpId, client: ceremony.client,
                                            lookup: { try file.record(id: $0, rpId: nil) }).sign(challenge)
            // A Fido2 assertion's counter is committed before the body leaves (as `vauth get` keeps
            // the counter of a response it could not deliver): the service may have seen the
            // assertion even when its answer fails or never arrives, and the next one must count on.
            try ceremony.commit()
            let output: JSONValue
            if let client {
                output = login ? try await client.completeLogin(body: body) : try await client.completeAction(body: body)
            } else {
                output = body
            }
            Terminal.printJSON(output, compact: global.compact)
        }
    }
}
