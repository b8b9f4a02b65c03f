import ArgumentParser
import Foundation
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth dfns recover`: new credentials for a recover-user challenge, signed with the old
/// recovery key that the recovery code decrypts (in memory only); prints the
/// `POST /auth/recover/user` body, or, online, sends it.
struct DfnsRecoverCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.dfnsRecover.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var dfns: DfnsOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(name: .customLong("code-file"), help: ArgumentHelp("File holding the recovery code D1-… (else $VAUTH_DFNS_RECOVERY_CODE).",
                                                              valueName: "file"))
    var codeFile: String?

    @Option(help: ArgumentHelp(
        "The recovery code on the command line: works, with a warning, since every local user can read a process's arguments.",
        valueName: "code"))
    var code: String?

    static let codeInput = SecretInput(argumentName: "--code", fileFlag: "--code-file", environmentName: "VAUTH_DFNS_RECOVERY_CODE",
                                       what: "recovery code")

    @Option(help: ArgumentHelp("The username the recovery key was made for (default: the challenge's user.name).", valueName: "name"))
    var username: String?

    @OptionGroup var passwordOptions: DfnsPasswordOptions

    @Option(help: ArgumentHelp("New first-factor credential: key, fido2, password or password-protected-key.", valueName: "kind"))
    var kind: DfnsFactorKind = .key

    @Option(name: .customLong("second-factor"), help: ArgumentHelp("Also a new second factor: totp, key, fido2 or password-protected-key.",
                                                                     valueName: "kind"))
    var secondFactor: DfnsFactorKind?

    @Flag(name: .customLong("keep-password"), help: "Keep the password in the keystore (sealed like a private key) for later logins.")
    var keepPassword = false

    @Flag(help: "Add a new RecoveryKey credential; its new recovery code is printed once, on stderr.")
    var recovery = false

    @Option(name: .customLong("credential-id"), help: ArgumentHelp("Online: id of the recovery credential (for /auth/recover/user/init).", valueName: "id"))
    var credentialId: String?

    @Option(name: .customLong("verification-code"), help: ArgumentHelp("Online: the code Dfns emailed for this recovery.", valueName: "code"))
    var verificationCode: String?

    @Option(name: .customLong("org-id"), help: ArgumentHelp("Online: the organisation id.", valueName: "id"))
    var orgId: String?

    func run() async throws {
        try await withDfnsErrors {
            let service = try dfns.service()
            let origin = try dfns.parsedOrigin()
            if service == nil, credentialId != nil || verificationCode != nil || orgId != nil {
                throw CLIError.badInput("--credential-id, --verification-code and --org-id are for online recovery (with --api-url)")
            }
            guard let typed = try Self.codeInput.resolve(argument: code, file: codeFile) else {
                throw CLIError.badInput("no recovery code: use --code-file FILE or set VAUTH_DFNS_RECOVERY_CODE")
            }
            let recoveryCode = try DfnsRecoveryCode(typed: typed)
            try kind.check(asSecondFactor: false)
            try secondFactor?.check(asSecondFactor: true)
            if service == nil, kind == .password { throw DfnsPasswordBody.refuseOffline("a recovery with a new Password credential") }
            let password = try passwordOptions.password()
            try DfnsCredentialMaker.requirePassword(password, firstFactor: kind, secondFactor: secondFactor, keepPassword: keepPassword)
            if let username, username.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw CLIError.badInput("--username is empty")
            }
            var challenge = try dfns.challengeJSON(online: service != nil).map { (json) throws -> DfnsRegistrationChallenge in
                try DfnsRegistrationChallenge(json: json)
            }
            if challenge == nil, username == nil || credentialId == nil {
                throw CLIError.badInput("an online recovery without --challenge needs --username and --credential-id")
            }
            let file = try global.open(.readWrite, create: true)
            let ceremony = try Ceremony(file: file, authenticator: authenticator)
            let client = service.map { DfnsClient(configuration: $0, clientVersion: Vauth.version) }
            if challenge == nil, let client, let username, let credentialId {
                challenge = try await client.recoveryChallenge(username: username, verificationCode: verificationCode, orgId: orgId,
                                                               credentialId: credentialId)
            }
            guard let challenge else { return }
            let maker = DfnsCredentialMaker(origin: origin, client: ceremony.client, staged: ceremony.staged,
                                            keyAlgorithm: try authenticator.apply(to: file.policy).algorithms.first ?? .es256,
                                            now: Authenticator.systemClock())
            let result = try DfnsUserRecovery(maker: maker).recover(challenge, code: recoveryCode, username: username,
                                                                     firstFactor: kind, secondFactor: secondFactor, newRecovery: recovery,
                                                                     password: password, keepPassword: keepPassword)
            let shownUsername = username ?? challenge.user.name
            let output: JSONValue
            if let client {
                output = try await client.completeRecovery(challenge, body: result.body)
                if let newCode = result.newCredentials.recoveryCode { DfnsRecoveryNotice.show(newCode, username: shownUsername) }
                try DfnsCommit.afterService(ceremony, what: "recovery")
            } else {
                try ceremony.commit()
                output = result.body
                if let newCode = result.newCredentials.recoveryCode { DfnsRecoveryNotice.show(newCode, username: shownUsername) }
            }
            Terminal.printJSON(output, compact: global.compact)
        }
    }
}
