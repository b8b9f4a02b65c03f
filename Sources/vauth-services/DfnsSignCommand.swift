import ArgumentParser
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth dfns sign`: signs a user action or login challenge with a first factor (Key,
/// PasswordProtectedKey, Fido2, Password) and, when the challenge requires one or `--second-factor`
/// names it, a second factor (Totp, Key, PasswordProtectedKey, Fido2); prints the `/auth/action`
/// (or `/auth/login`) body, or, online, sends it.
struct DfnsSignCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.dfnsSign.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var dfns: DfnsOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(name: .customLong("rp-id"), help: "RP ID of the Fido2 assertion (default: the one the credential was registered with).")
    var rpId: String?

    @Flag(help: "Online: a login (/auth/login/init, /auth/login) instead of a user action.")
    var login = false

    @OptionGroup var passwordOptions: DfnsPasswordOptions

    @Option(help: ArgumentHelp("The username: whom an online login is for; whose TOTP secret or kept password to use, and the salt "
                               + "that opens a PasswordProtectedKey from the challenge.", valueName: "name"))
    var username: String?

    @Option(name: .customLong("first-factor"), help: ArgumentHelp(
        "Sign with this kind: key, password-protected-key, fido2 or password (default: the first of them at hand).", valueName: "kind"))
    var firstFactor: DfnsFactorKind?

    @Option(name: .customLong("second-factor"), help: ArgumentHelp(
        "Add this second factor: totp, key, password-protected-key or fido2 (default: one only when the challenge requires it).",
        valueName: "kind"))
    var secondFactor: DfnsFactorKind?

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
            if service == nil, login || orgId != nil || actionPath != nil {
                throw CLIError.badInput("--login, --org-id and --action-path are for online signing (with --api-url)")
            }
            try firstFactor?.check(asSecondFactor: false)
            try secondFactor?.check(asSecondFactor: true)
            if service == nil, firstFactor == .password { throw DfnsPasswordBody.refuseOffline("a Password factor") }
            let password = try passwordOptions.password()
            var challenge = try dfns.challengeJSON(online: service != nil).map { (json) throws -> DfnsActionChallenge in
                try DfnsActionChallenge(json: json)
            }
            if challenge == nil {
                if login, username == nil { throw CLIError.badInput("an online login needs --username") }
                if !login, actionPath == nil { throw CLIError.badInput("an online action needs --action-path (or --login)") }
            }
            // Without a keystore there is nothing to write, but a Password or a PasswordProtectedKey
            // opened from the challenge (a fresh machine) can still sign.
            let file = try KeystoreFile.exists(at: global.path) ? try global.open(.readWrite) : nil
            let ceremony = try file.map { try Ceremony(file: $0, authenticator: authenticator) }
            let client = service.map { DfnsClient(configuration: $0, clientVersion: Vauth.version) }
            if challenge == nil, let client {
                challenge = login
                    ? try await client.loginChallenge(username: username ?? "", orgId: orgId)
                    : try await client.actionChallenge(method: actionMethod, path: actionPath ?? "", payload: actionPayload)
            }
            guard let challenge else { return }
            let signer = DfnsActionSigner(origin: origin, rpId: rpId, client: ceremony?.client,
                                          lookup: { try file?.record(id: $0, rpId: nil) }, records: { try file?.allRecords() ?? [] })
            let signed: DfnsActionSigner.Signed
            do {
                signed = try signer.sign(challenge, factors: .init(first: firstFactor, second: secondFactor, password: password,
                                                                   username: username, now: Authenticator.systemClock() / 1000))
            } catch let error as DfnsError where file == nil && !error.isBadInput {
                throw CLIError.refused("no credential to sign with: there is no keystore at \(global.path) yet (\(error.description))")
            }
            // Nothing is committed or printed: the only first factor at hand was the password.
            if service == nil, signed.carriesPassword { throw DfnsPasswordBody.refuseOffline("a Password factor") }
            let body = signed.body
            // A Fido2 assertion's counter is committed before the body leaves (as `vauth get` keeps
            // the counter of a response it could not deliver): the service may have seen the
            // assertion even when its answer fails or never arrives, and the next one must count on.
            try ceremony?.commit()
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
