import ArgumentParser

// The command catalogue: every vauth command's name, abstract and discussion, in the order of
// `vauth --help`, and which executable runs it. Both executables build their command lists from
// it, and the man pages and shell completions are generated from the resulting tree, so nothing
// here is repeated by hand anywhere else.
//
// Adding a command:
//  1. Write the command in one file. Offline (no network, no socket, no Foundation):
//     Sources/VauthCLI/Commands/NameCommand.swift. Networked (URLSession, swift-nio, a socket):
//     Sources/vauth-services/NameCommand.swift. Its configuration comes from here:
//     `package static let configuration = CommandCatalogue.name.configuration()`.
//  2. Add its entry below, `.vauth(NameCommand.self)` or `.services`, and put it in `commands`
//     where it belongs in `vauth --help`.
//  3. A networked command also goes into `networkedCommands` in
//     Sources/vauth-services/VauthServicesMain.swift (a missing or extra one fails at start-up
//     and in Tests/Interop/test_command_table.py).
// Nothing else: `vauth` runs offline commands itself and hands every other command line to
// `vauth-services`; help, man pages and completions follow.

/// One command of the catalogue.
package struct CommandEntry: @unchecked Sendable {  // metatypes and strings only, never mutated
    /// Where the command runs. `vauth` runs its own commands in process; anything else it hands,
    /// arguments unchanged, to `vauth-services`, which links Foundation, libcurl and swift-nio.
    package enum Home {
        case vauth(any ParsableCommand.Type)
        case services
    }

    package let name: String
    package let abstract: String
    package let discussion: String
    package let home: Home

    package init(_ name: String, _ home: Home, abstract: String, discussion: String = "") {
        self.name = name
        self.home = home
        self.abstract = abstract
        self.discussion = discussion
    }

    /// The ArgumentParser configuration of the command this entry describes.
    package func configuration(subcommands: [any ParsableCommand.Type] = [], version: String = "") -> CommandConfiguration {
        CommandConfiguration(commandName: name, abstract: abstract, discussion: discussion, version: version, subcommands: subcommands)
    }

    package var runsInVauth: Bool {
        if case .vauth = home { return true }
        return false
    }
}

package enum CommandCatalogue {
    /// `vauth` itself: the root of both executables' trees (same name, so usage lines and help agree).
    package static let root = CommandEntry(
        "vauth", .services,
        abstract: "A virtual FIDO2/WebAuthn authenticator: real credentials, an encrypted keystore, no browser.",
        discussion: """
            Output is one JSON document on stdout (pretty unless --compact); messages go to stderr. Exit status: 0 \
            success; 1 refused or failed (no matching credential, user verification refused, the server said no); 2 bad \
            input or usage. Every error is one line starting 'vauth: error:', and a failed command leaves the keystore \
            byte for byte as it was. The keystore is --keystore, else $VAUTH_KEYSTORE, else \
            $XDG_DATA_HOME/vauth/keystore.vauth, else ~/.local/share/vauth/keystore.vauth; it is unlocked by \
            --key-file or $VAUTH_KEY_FILE (a raw 32-byte key), --passphrase-file or $VAUTH_PASSPHRASE, else a prompt \
            on the terminal.
            """)

    package static let demo = CommandEntry(
        "demo", .vauth(DemoCommand.self),
        abstract: "Register and sign in against a built-in relying party that verifies every step (nothing else needed).")
    package static let initKeystore = CommandEntry(
        "init", .vauth(InitCommand.self), abstract: "Create a new keystore (refuses to overwrite an existing one).")
    package static let create = CommandEntry(
        "create", .vauth(CreateCommand.self),
        abstract: "Register: read PublicKeyCredentialCreationOptionsJSON, print RegistrationResponseJSON.")
    package static let get = CommandEntry(
        "get", .vauth(GetCommand.self),
        abstract: "Sign in: read PublicKeyCredentialRequestOptionsJSON, print AuthenticationResponseJSON.")
    package static let list = CommandEntry("list", .vauth(ListCommand.self), abstract: "List credentials as JSON.")
    package static let delete = CommandEntry("delete", .vauth(DeleteCommand.self), abstract: "Delete a credential.")
    package static let export = CommandEntry(
        "export", .vauth(ExportCommand.self),
        abstract: "Export credentials, private keys included (vauth, Chrome DevTools Protocol or Playwright format).")
    package static let importCredentials = CommandEntry(
        "import", .vauth(ImportCommand.self),
        abstract: "Import credentials: a CDP WebAuthn.getCredentials document or credential, Playwright credentials (a storageState, VirtualCredentials), or a vauth export.")
    package static let passwd = CommandEntry(
        "passwd", .vauth(PasswdCommand.self),
        abstract: "Change the keystore passphrase (everything is re-encrypted under a new data key).")
    package static let info = CommandEntry("info", .vauth(InfoCommand.self), abstract: "Print the authenticator's getInfo as JSON.")
    package static let attestationCA = CommandEntry(
        "attestation-ca", .vauth(AttestationCACommand.self),
        abstract: "Print the attestation root CA certificate (PEM) that packed x5c chains lead to.")
    package static let policy = CommandEntry(
        "policy", .vauth(PolicyCommand.self), abstract: "Show the stored authenticator policy; with flags, change it.")
    package static let check = CommandEntry(
        "check", .vauth(CheckCommand.self), abstract: "Authenticate every section and credential of the keystore.")
    package static let register = CommandEntry(
        "register", .services,
        abstract: "Register a passkey with Passwordless.dev using a register_… token from your backend.")
    package static let signin = CommandEntry(
        "signin", .services, abstract: "Sign in to Passwordless.dev; prints the verify_… token for your backend.")
    package static let dfns = CommandEntry(
        "dfns", .services,
        abstract: "Dfns user credentials (Key, Fido2, Password, Totp, PasswordProtectedKey, RecoveryKey); login and action signing; user recovery.")
    package static let bench = CommandEntry(
        "bench", .vauth(BenchCommand.self),
        abstract: "Measure what users run next to OpenSSL's limit, and print the table (ratios from one run).")
    package static let fixtures = CommandEntry(
        "fixtures", .vauth(FixturesCommand.self),
        abstract: "Write deterministic WebAuthn test vectors (valid and invalid) for relying-party tests.",
        discussion: """
            The same --seed, --count and vauth version give byte-identical files. Each vector is one JSON \
            file; manifest.json lists them with their SHA-256. Files of the same names in --out are replaced, \
            others are left alone. No keystore is read or written.
            """)
    package static let attach = CommandEntry(
        "attach", .services,
        abstract: "Answer a running browser's navigator.credentials.create()/get(): Chromium (--cdp) or Firefox (--bidi).",
        discussion: """
            Chromium: start it with --remote-debugging-port=PORT (0 lets it pick a free port, written to \
            DevToolsActivePort in its profile), then `vauth attach --cdp http://127.0.0.1:PORT`. Firefox: join the \
            WebDriver BiDi session your suite drives, `vauth attach --bidi ws://127.0.0.1:PORT/session/ID` (the \
            session's webSocketUrl capability). vauth covers every page and frame, also later ones, and answers \
            publicKey create/get with this keystore and policy; the origin is the frame's as the browser reports \
            it. One line per ceremony on stderr. Stops on SIGINT/SIGTERM or when the browser closes.
            """)
    package static let serve = CommandEntry(
        "serve", .services,
        abstract: "Serve the keystore as a CTAPHID security key over UDP (one 64-byte report per datagram).")

    // `vauth dfns …` (subcommands of `dfns`; DfnsCommand lists them).
    package static let dfnsRegister = CommandEntry(
        "register", .services,
        abstract: "Make Dfns credentials for a registration challenge; print the /auth/registration body (or send it).")
    package static let dfnsSign = CommandEntry(
        "sign", .services,
        abstract: "Sign a Dfns user action or login challenge; print the /auth/action body (or send it).")
    package static let dfnsRecover = CommandEntry(
        "recover", .services,
        abstract: "Recover a Dfns user with the recovery code; print the /auth/recover/user body (or send it).")
    package static let dfnsTotp = CommandEntry(
        "totp", .services,
        abstract: "Print the current TOTP code of a Dfns Totp credential in the keystore (for a login's second factor).",
        discussion: """
            The secret is the one `vauth dfns register --second-factor totp` enrolled from the challenge's otpUrl \
            (RFC 6238: its algorithm, digits and period). Prints {"otpCode", "secondsLeft", "period", "userName"}.
            """)

    /// Every top-level command, in the order of `vauth --help`.
    package static let commands: [CommandEntry] = [
        demo, initKeystore, create, get, list, delete, export, importCredentials, passwd, info, attestationCA, policy, check,
        register, signin, dfns, bench, fixtures, attach, serve,
    ]

    /// The names of the commands `vauth` runs in process.
    package static let vauthCommandNames: Set<String> = Set(commands.filter(\.runsInVauth).map(\.name))

    /// `vauth`'s subcommands: the catalogue's offline commands.
    package static var vauthSubcommands: [any ParsableCommand.Type] {
        commands.compactMap { if case .vauth(let type) = $0.home { type } else { nil } }
    }

    /// `vauth-services`' subcommands: every command, in catalogue order, the networked ones from
    /// `networked` (matched by name). A networked entry without an implementation, or an
    /// implementation without an entry, is a programming error, reported at start-up.
    package static func allSubcommands(networked: [any ParsableCommand.Type]) -> [any ParsableCommand.Type] {
        var byName: [String: any ParsableCommand.Type] = [:]
        for type in networked {
            let name = type.configuration.commandName ?? ""
            guard let entry = commands.first(where: { $0.name == name }), !entry.runsInVauth else {
                fatalError("vauth-services implements `\(name)`, which the command catalogue does not list as a networked command")
            }
            byName[name] = type
        }
        return commands.map { entry in
            switch entry.home {
            case .vauth(let type): return type
            case .services:
                guard let type = byName[entry.name] else { fatalError("the catalogue's `\(entry.name)` has no implementation in vauth-services") }
                return type
            }
        }
    }
}
