import ArgumentParser
import Foundation
import VauthAuthenticator
import VauthCLI
import VauthKeystore
import VauthTransport

/// `vauth serve`: the keystore as a security key over CTAPHID (CTAP 2.2 §11.2) on UDP, the way
/// the SoloKeys simulator is reached, or as a Linux uhid device. Wiring only: open the keystore,
/// build the authenticator, run ``CTAPHIDServer`` until SIGINT/SIGTERM.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandCatalogue.serve.configuration()

    @OptionGroup var global: KeystoreOptions
    @OptionGroup var authenticator: AuthenticatorOptions

    @Option(name: .customLong("udp"), help: ArgumentHelp("Address to listen on; replies go to the sender.", valueName: "host:port"))
    var address = "127.0.0.1:8111"

    @Flag(name: .long, help: "Be a USB HID security key through /dev/uhid (Linux, uhid module, root or udev access) instead of UDP.")
    var uhid = false

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
        let setting = "keystore \(file.path)\(allowReset ? ", reset allowed" : "")"
        if uhid {
            let device: UHIDDevice
            do { device = try UHIDDevice() } catch { throw CLIError.refused("\(error)") }
            try serve(auth, over: device, announcing: "serve: attached as a uhid USB security key (\(setting))")
        } else {
            let socket: UDPSocket
            do { socket = try UDPSocket(host: host, port: port) } catch { throw CLIError.refused("cannot listen on \(address): \(error)") }
            try serve(auth, over: socket, announcing: "serve: listening on udp \(socket.localAddress) (\(setting))")
        }
    }

    private func serve<Carrier: CTAPHIDCarrier>(_ auth: Authenticator, over carrier: Carrier, announcing line: String) throws {
        let server = try CTAPHIDServer(authenticator: auth, carrier: carrier) { line in Terminal.note("serve: " + line) }
        server.stopOnTerminationSignals()
        Terminal.note(line)
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
