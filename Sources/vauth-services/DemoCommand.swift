import ArgumentParser
import Foundation
import VauthAuthenticator
import VauthCrypto
import VauthKeystore
import VauthServices
import VauthWebAuthn

/// `vauth demo`: the thirty-second proof. A throwaway keystore registers a passkey with a local
/// relying party and signs in with it; the RP — the repository's Passwordless.dev stand-in —
/// verifies every step with py_webauthn, an independent WebAuthn library.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Register and sign in against a local relying party that verifies with py_webauthn (needs ./setup.sh).")

    @Flag(name: .long, help: "Print JSON on one line.")
    var compact = false

    func run() async throws {
        let repository = try DemoEnvironment.repository()
        let scratch = NSTemporaryDirectory() + "vauth-demo-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        // 1. A throwaway keystore, unlocked by a random key file.
        let keyPath = scratch + "/key"
        _ = FileManager.default.createFile(atPath: keyPath, contents: Data(try SecureRandom.bytes(32)), attributes: [.posixPermissions: 0o600])
        let file = try KeystoreFile(path: scratch + "/keystore.vauth", unlock: try KeystoreUnlock.keyFile(path: keyPath), access: .readWrite,
                                    creating: .init(identity: try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)))
        let identity = try file.identity()
        let rootPath = scratch + "/vauth-root.pem"
        try identity.rootCertificate.pem().write(toFile: rootPath, atomically: true, encoding: .utf8)
        say("keystore      \(file.path) (throwaway, AES-256-GCM under a random key file)")

        // 2. The relying party: Passwordless.dev's API, verifying with py_webauthn, trusting vauth's root CA.
        let server = try DemoEnvironment.startRelyingParty(repository: repository, trustedRoot: rootPath)
        defer { server.terminate() }
        say("relying party \(server.url) (Passwordless.dev stand-in; verifies with py_webauthn)")

        let origin = try Origin("https://demo.vauth.example"), rpId = "demo.vauth.example"
        let backend = PasswordlessBackend(baseURL: server.url, apiSecret: DemoEnvironment.apiSecret)
        let client = PasswordlessClient(configuration: .init(baseURL: server.url, apiKey: DemoEnvironment.apiKey), clientVersion: Vauth.version)

        // 3. Register: backend token → vauth → RP verifies the attestation (packed, x5c to vauth's root).
        let registerToken = try await backend.registerToken(userId: "demo-user", username: "ada@demo.vauth.example",
                                                            displayName: "Ada", attestation: "direct", aliases: ["ada"])
        say("backend       issued a registration token for user demo-user")
        let registering = try Ceremony(file: file, policy: file.policy)
        let registration = try await client.register(token: registerToken, origin: origin, rpId: rpId, nickname: "vauth demo",
                                                     client: registering.client, staged: registering.staged)
        let registered = try await backend.verify(token: registration.verifyToken)
        say("vauth         registered passkey \(registration.credentialId) (ES256, discoverable, packed attestation)")
        say("backend       /signin/verify → success \(registered["success"]?.boolValue == true), type \(registered["type"]?.stringValue ?? "?")")

        // 4. Sign in by alias, then with the discoverable credential and no hint at all.
        var signIns: [JSONValue] = []
        for target in [PasswordlessClient.SignInTarget.alias("ada"), .discoverable] {
            let signingIn = try Ceremony(file: file, policy: file.policy)
            let token = try await client.signIn(target, origin: origin, rpId: rpId, client: signingIn.client, staged: signingIn.staged)
            let verified = try await backend.verify(token: token)
            let how = { if case .alias = target { return "by alias \"ada\"" } else { return "with a discoverable credential" } }()
            say("vauth         signed in \(how); backend → success \(verified["success"]?.boolValue == true), userId \(verified["userId"]?.stringValue ?? "?")")
            signIns.append(verified)
        }
        let count = try file.record(id: Base64.urlDecode(registration.credentialId) ?? [], rpId: rpId)?.signCount ?? 0
        say("done          every step verified by an independent library; signature counter now \(count)")

        let allVerified = registered["success"]?.boolValue == true && signIns.allSatisfy { $0["success"]?.boolValue == true }
        Terminal.printJSON(.object([
            ("relyingParty", .string(server.url.absoluteString)), ("credentialId", .string(registration.credentialId)),
            ("registration", registered), ("signIns", .array(signIns)), ("verified", .bool(allVerified)),
        ]), compact: compact)
        if !allVerified { throw CLIError.refused("the relying party did not verify every step") }
    }

    private func say(_ line: String) { Terminal.writeStderr("demo: \(line)\n") }
}

/// Where the demo's relying party comes from: the repository checkout this binary was built in
/// (`./setup.sh` made its Python venv).
enum DemoEnvironment {
    static let apiKey = "test:public:2e728aa5986f4ba8b073a5b28a939795"
    static let apiSecret = "test:secret:a679563b331846c79c20b114a4f56d02"

    static func repository() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["VAUTH_REPOSITORY"] { return explicit }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            directory = URL(fileURLWithPath: executable).deletingLastPathComponent()
        }
        while directory.path != "/" {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Tests/Interop/standins/passwordless.py").path) {
                return directory.path
            }
            directory = directory.deletingLastPathComponent()
        }
        throw CLIError.badInput("vauth demo runs from a vauth checkout (its relying party is Tests/Interop/standins); set VAUTH_REPOSITORY to one")
    }

    struct Server {
        let process: Process
        let url: URL
        func terminate() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func startRelyingParty(repository: String, trustedRoot: String) throws -> Server {
        let python = repository + "/.venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw CLIError.badInput("no Python venv at \(repository)/.venv: run ./setup.sh first")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-m", "standins.passwordless", "--port", "0", "--trusted-root-pem", trustedRoot]
        process.currentDirectoryURL = URL(fileURLWithPath: repository + "/Tests/Interop")
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.runWithDefaultSignalMask()
        // The stand-in prints "LISTENING http://127.0.0.1:PORT" once it accepts connections.
        var text = ""
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("LISTENING ") }),
               let url = URL(string: String(line.dropFirst("LISTENING ".count))) {
                return Server(process: process, url: url)
            }
        }
        process.terminate()
        throw CLIError.refused("the demo relying party did not start (\(python) -m standins.passwordless)")
    }
}
