import ArgumentParser
import Foundation
import VauthAuthenticator
import VauthKeystore
import VauthTransport

/// `vauth serve`: the keystore as a security key over CTAPHID (CTAP 2.2 §11.2) on UDP, the way
/// the SoloKeys simulator is reached. Wiring only: open the keystore, build the authenticator,
/// run ``CTAPHIDServer`` until SIGINT/SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the keystore as a CTAPHID security key over UDP (one 64-byte report per datagram).")

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(name: .customLong("udp"), help: ArgumentHelp("Address to listen on; replies go to the sender.", valueName: "host:port"))
    var address = "127.0.0.1:8111"

    @Flag(name: .long, help: "Let authenticatorReset wipe the keystore's credentials and PIN (throwaway keystores in test rigs only).")
    var allowReset = false

    func run() async throws {
        let (host, port) = try Self.parse(address)
        let file = try global.open(.readWrite, create: true)
        let auth = Authenticator(identity: try file.identity(), policy: try authenticator.apply(to: file.policy),
                                 store: EncryptedCredentialStore(file: file))
        auth.pinStore = KeystorePINStateStore(file: file)
        auth.allowsReset = allowReset
        auth.transports = ["usb"]
        let socket: UDPSocket
        do { socket = try UDPSocket(host: host, port: port) } catch { throw CLIError.refused("cannot listen on \(address): \(error)") }
        let server = try CTAPHIDServer(authenticator: auth, socket: socket) { line in Terminal.note("serve: " + line) }
        server.stopOnTerminationSignals()
        Terminal.note("serve: listening on udp \(socket.localAddress) (keystore \(file.path)\(allowReset ? ", reset allowed" : ""))")
        try server.run()
        Terminal.note("serve: stopped")
    }

    /// "host:port", "[v6]:port".
    static func parse(_ text: String) throws -> (String, UInt16) {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
            throw CLIError.badInput("--udp wants host:port, got \(text)")
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw CLIError.badInput("--udp wants host:port, got \(text)") }
        return (host, port)
    }
}
