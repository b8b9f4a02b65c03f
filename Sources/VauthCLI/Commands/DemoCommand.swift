import ArgumentParser
import VauthAuthenticator
import VauthCrypto
import VauthKeystore
import VauthRelyingParty
import VauthWebAuthn

/// `vauth demo`: the thirty-second proof. A throwaway keystore registers a passkey with a relying
/// party and signs in with it twice; the relying party is built in (``DemoRelyingParty``): it
/// issues the options JSON and verifies every response as a server does — client data, RP ID
/// hash, flags, the packed attestation's x5c chain to the keystore's root CA, each assertion
/// signature and counter — with OpenSSL. Nothing outside the binary is needed.
package struct DemoCommand: AsyncParsableCommand {
    package static let configuration = CommandCatalogue.demo.configuration()

    @Flag(name: .long, help: "Print JSON on one line.")
    var compact = false

    package init() {}

    package func run() async throws {
        let scratch = try LocalFiles.makeScratchDirectory(prefix: "vauth-demo-")
        defer { LocalFiles.remove(scratch) }

        // 1. A throwaway keystore, unlocked by a random key file.
        let keyPath = scratch + "/key"
        try LocalFiles.writePrivate(keyPath, try SecureRandom.bytes(32))
        let file = try KeystoreFile(path: scratch + "/keystore.vauth", unlock: try KeystoreUnlock.keyFile(path: keyPath), access: .readWrite,
                                    creating: .init(identity: try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)))
        let identity = try file.identity()
        say("keystore      \(file.path) (throwaway, AES-256-GCM under a random key file)")

        // 2. The relying party, trusting vauth's attestation root CA.
        let origin = "https://demo.vauth.example"
        let party = DemoRelyingParty(rpId: "demo.vauth.example", origin: origin, trustedRoot: identity.rootCertificate)
        say("relying party \(origin) (built in; verifies with OpenSSL, trusts this keystore's root CA)")

        // 3. Register: options → vauth → the RP verifies the attestation (packed, x5c to vauth's root).
        let creation = try party.registrationOptions(userName: "ada@demo.vauth.example", displayName: "Ada")
        let registering = try Ceremony(file: file, policy: file.policy)
        let created = try registering.client.create(PublicKeyCredentialCreationOptions(json: creation), origin: try Origin(origin))
        let registration = try party.verifyRegistration(created.json)
        try registering.commit()
        say("vauth         registered passkey \(registration.credentialId) (ES256, discoverable)")
        say("relying party verified: \(registration.attestationFormat) attestation, \(registration.attestationTrust), AAGUID \(registration.aaguid)")

        // 4. Sign in by user name (allowCredentials), then with the discoverable credential and no hint.
        var signIns: [JSONValue] = []
        for userName in ["ada@demo.vauth.example", nil] as [String?] {
            let request = try party.authenticationOptions(userName: userName)
            let signingIn = try Ceremony(file: file, policy: file.policy)
            let assertion = try signingIn.client.get(PublicKeyCredentialRequestOptions(json: request), origin: try Origin(origin))
            let signIn = try party.verifyAuthentication(assertion.json)
            try signingIn.commit()
            let how = userName == nil ? "with a discoverable credential" : "by user name"
            say("vauth         signed in \(how); relying party verified the signature, user \(signIn.userName), counter \(signIn.signCount)")
            signIns.append(.object([("verified", true), ("userName", .string(signIn.userName)), ("signCount", .number(Double(signIn.signCount)))]))
        }
        say("done          every step verified by the relying party")

        try Terminal.writeJSON(.object([
            ("relyingParty", .string(origin)), ("credentialId", .string(registration.credentialId)),
            ("registration", .object([("verified", true), ("attestation", .string(registration.attestationFormat)),
                                      ("trust", .string(registration.attestationTrust))])),
            ("signIns", .array(signIns)), ("verified", true),
        ]), compact: compact)
    }

    private func say(_ line: String) { Terminal.writeStderr("demo: \(line)\n") }
}
