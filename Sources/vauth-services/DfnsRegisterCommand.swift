import ArgumentParser
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth dfns register`: a first factor (Key, Fido2, Password, PasswordProtectedKey), optionally a
/// second factor (Totp, Key, Fido2, PasswordProtectedKey) and a RecoveryKey, from a registration
/// challenge (`/auth/registration/delegated`, `/auth/registration/init` or hand-made); prints the
/// `POST /auth/registration` body, or, online, sends it.
struct DfnsRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.dfnsRegister.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var dfns: DfnsOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @OptionGroup var passwordOptions: DfnsPasswordOptions

    @Option(help: ArgumentHelp(
        "First-factor credential: key (a raw key pair), fido2 (a WebAuthn credential), password, or password-protected-key "
        + "(a key pair also sent encrypted under the password).", valueName: "kind"))
    var kind: DfnsFactorKind = .key

    @Option(name: .customLong("second-factor"), help: ArgumentHelp(
        "Also register a second factor: totp (enrols the challenge's otpUrl in the keystore), key, fido2 or password-protected-key.",
        valueName: "kind"))
    var secondFactor: DfnsFactorKind?

    @Flag(name: .customLong("keep-password"), help: "Keep the password in the keystore (sealed like a private key) for later logins.")
    var keepPassword = false

    @Flag(help: "Add a RecoveryKey credential; its recovery code is printed once, on stderr.")
    var recovery = false

    @Option(name: .customLong("credential-name"), help: "A name for the first-factor credential.")
    var credentialName: String?

    @Option(help: ArgumentHelp("Online without --challenge: the user (email) to get a delegated registration challenge for.",
                               valueName: "email"))
    var username: String?

    func run() async throws {
        try await withDfnsErrors {
            let service = try dfns.service()
            let origin = try dfns.parsedOrigin()
            if service == nil, username != nil { throw CLIError.badInput("--username is for online registration (with --api-url)") }
            var challenge = try dfns.challengeJSON(online: service != nil).map { (json) throws -> DfnsRegistrationChallenge in
                try DfnsRegistrationChallenge(json: json)
            }
            if challenge == nil, username == nil {
                throw CLIError.badInput("online registration needs --challenge or --username (for /auth/registration/delegated)")
            }
            try kind.check(asSecondFactor: false)
            try secondFactor?.check(asSecondFactor: true)
            if service == nil, kind == .password { throw DfnsPasswordBody.refuseOffline("a Password credential's registration body") }
            let password = try passwordOptions.password()
            try DfnsCredentialMaker.requirePassword(password, firstFactor: kind, secondFactor: secondFactor, keepPassword: keepPassword)
            let file = try global.open(.readWrite, create: true)
            let ceremony = try Ceremony(file: file, authenticator: authenticator)
            let client = service.map { DfnsClient(configuration: $0, clientVersion: Vauth.version) }
            if challenge == nil, let client, let username {
                challenge = try await client.delegatedRegistrationChallenge(username: username)
            }
            guard let challenge else { return }
            let maker = DfnsCredentialMaker(origin: origin, client: ceremony.client, staged: ceremony.staged,
                                            keyAlgorithm: try authenticator.apply(to: file.policy).algorithms.first ?? .es256,
                                            now: Authenticator.systemClock())
            let credentials = try maker.make(for: challenge, firstFactor: kind, secondFactor: secondFactor, recovery: recovery,
                                             credentialName: credentialName, password: password, keepPassword: keepPassword)
            let output: JSONValue
            if let client {
                output = try await client.completeRegistration(challenge, body: credentials.body)
                // The service holds the recovery credential now: the code is shown even if the
                // keystore write below fails.
                if let code = credentials.recoveryCode { DfnsRecoveryNotice.show(code, username: challenge.user.name) }
                try DfnsCommit.afterService(ceremony, what: "registration")
            } else {
                try ceremony.commit()
                output = credentials.body
                if let code = credentials.recoveryCode { DfnsRecoveryNotice.show(code, username: challenge.user.name) }
            }
            Terminal.printJSON(output, compact: global.compact)
        }
    }
}
