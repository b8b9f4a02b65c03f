import ArgumentParser
import VauthAuthenticator
import VauthCrypto

extension AttestationKind: ExpressibleByArgument {}
extension SignCounterMode: ExpressibleByArgument {}
extension UserVerificationCapability: ExpressibleByArgument {}

/// Per-command overrides of the authenticator policy stored in the keystore (contract:
/// "Authenticator behaviour is configurable per command or in the keystore").
package struct AuthenticatorOptions: ParsableArguments {
    @Option(help: "Attestation the authenticator makes: packed (x5c chain), self, none.")
    package var attestation: AttestationKind?

    @Flag(name: .customLong("uv"), inversion: .prefixedNo,
          help: "--uv: verify the user when asked. --no-uv: the user refuses verification (CTAP2_ERR_OPERATION_DENIED).")
    package var userVerification: Bool?

    @Option(name: .customLong("uv-mode"), help: "User verification capability: supported, unsupported, refused.")
    package var userVerificationMode: UserVerificationCapability?

    @Option(help: "Signature counter: increment (per credential) or zero (as synced passkeys).")
    package var counter: SignCounterMode?

    @Flag(help: "New credentials are backup eligible (BE).")
    package var backupEligible = false

    @Flag(help: "New credentials and assertions report backed up (BS); implies --backup-eligible.")
    package var backedUp = false

    @Option(help: ArgumentHelp("Algorithms the authenticator supports, comma separated: es256,eddsa,rs256. Among them the RP's order decides.",
                               valueName: "list"))
    package var algorithm: String?

    package init() {}

    /// `policy` with these flags applied.
    package func apply(to policy: AuthenticatorPolicy) throws -> AuthenticatorPolicy {
        var policy = policy
        if let attestation { policy.attestation = attestation }
        if let userVerification { policy.userVerification = userVerification ? .supported : .refused }
        if let userVerificationMode { policy.userVerification = userVerificationMode }
        if let counter { policy.signCounter = counter }
        if backupEligible || backedUp { policy.backupEligible = true }
        if backedUp { policy.backedUp = true }
        if let algorithm { policy.algorithms = try Self.algorithms(algorithm) }
        return policy
    }

    package var isEmpty: Bool {
        attestation == nil && userVerification == nil && userVerificationMode == nil && counter == nil && !backupEligible
            && !backedUp && algorithm == nil
    }

    package static func algorithms(_ list: String) throws -> [COSEAlgorithm] {
        var out: [COSEAlgorithm] = []
        for name in list.split(separator: ",").map({ String($0.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed()) }) where !name.isEmpty {
            guard let algorithm = COSEAlgorithm(name: name) else {
                throw CLIError.badInput("unknown algorithm \(name) (use es256, eddsa, rs256)")
            }
            if !out.contains(algorithm) { out.append(algorithm) }
        }
        guard !out.isEmpty else { throw CLIError.badInput("--algorithm needs at least one of es256, eddsa, rs256") }
        return out
    }
}

