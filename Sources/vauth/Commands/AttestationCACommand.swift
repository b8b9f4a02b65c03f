import ArgumentParser
import VauthKeystore

/// `vauth attestation-ca`: the PEM an RP puts in its trust store for `packed` x5c attestation.
struct AttestationCACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attestation-ca", abstract: "Print the attestation root CA certificate (PEM) that packed x5c chains lead to.")

    @OptionGroup var global: KeystoreOptions

    func run() async throws {
        // The keystore keeps the CA, so the same keystore always yields the same chain; asking for
        // it first creates the keystore if there is none yet.
        let file = try global.open(.readWrite, create: true)
        let identity = try file.identity()
        if !file.existsOnDisk { try file.setIdentity(identity) }
        Terminal.writeStdout(try identity.rootCertificate.pem())
    }
}
