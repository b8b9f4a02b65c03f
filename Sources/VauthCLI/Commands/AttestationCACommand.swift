import ArgumentParser
import VauthKeystore

/// `vauth attestation-ca`: the PEM an RP puts in its trust store for `packed` x5c attestation.
package struct AttestationCACommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.attestationCA.configuration()

    @OptionGroup var global: KeystoreOptions

    package init() {}

    package func run() async throws {
        // The keystore keeps the CA, so the same keystore always yields the same chain; asking for
        // it first creates the keystore if there is none yet.
        let file = try global.open(.readWrite, create: true)
        let identity = try file.identity()
        if !file.existsOnDisk { try file.setIdentity(identity) }
        Terminal.writeStdout(try identity.rootCertificate.pem())
    }
}
