import ArgumentParser
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth dfns totp`: the current RFC 6238 code of a Totp secret the keystore holds for an app,
/// for typing into (or scripting) a login's second factor. Reads the keystore, writes nothing.
struct DfnsTotpCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.dfnsTotp.configuration()

    @OptionGroup var global: KeystoreOptions

    @Option(help: ArgumentHelp("The app origin the secret was enrolled for, e.g. https://app.example.com.", valueName: "origin"))
    var origin: String

    @Option(help: ArgumentHelp("Whose secret, when the keystore holds several for the app.", valueName: "name"))
    var username: String?

    func run() async throws {
        try await withDfnsErrors {
            let origin = try Origin(self.origin)
            guard try KeystoreFile.exists(at: global.path) else {
                throw CLIError.refused("no TOTP secret: there is no keystore at \(global.path) yet")
            }
            let file = try global.open(.read)
            defer { file.close() }
            let record = try DfnsTotpCredential.find(in: try file.allRecords(), origin: origin, username: username)
            let generator = try DfnsTotpCredential.generator(record)
            let now = Authenticator.systemClock() / 1000
            Terminal.printJSON(.object([
                ("otpCode", .string(generator.code(at: now))), ("secondsLeft", .number(Double(generator.secondsLeft(at: now)))),
                ("period", .number(Double(generator.period))), ("userName", record.user.name.map(JSONValue.string) ?? .null),
            ]), compact: global.compact)
        }
    }
}
