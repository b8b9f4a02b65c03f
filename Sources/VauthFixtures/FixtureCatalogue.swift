import VauthAuthenticator
import VauthCrypto
import VauthWebAuthn

/// The cases one round of `vauth fixtures` generates, in file order: the coverage matrix of
/// positive vectors, then the negative vectors.
enum FixtureCatalogue {
    static let algorithms: [COSEAlgorithm] = [.es256, .edDSA, .rs256]

    static var all: [FixtureCase] { registrationMatrix + authenticationMatrix + features + negatives }

    /// Algorithm × attestation (every registered format, with the algorithms it can attest) × UV ×
    /// discoverable.
    static var registrationMatrix: [FixtureCase] {
        var cases: [FixtureCase] = []
        for algorithm in algorithms {
            for attestation in FixtureCase.Attestation.all where attestation.kind.format.credentialAlgorithms?.contains(algorithm) ?? true {
                for uv in [true, false] {
                    for discoverable in [true, false] {
                        var c = FixtureCase(
                            name: "registration-\(algorithm.name)-\(attestation.rawValue)-\(uv ? "uv" : "no-uv")-\(discoverable ? "discoverable" : "server-side")",
                            summary: "\(FixtureCase.algorithmName(algorithm)) registration, \(attestation.rawValue) attestation, user verification \(uv ? "required and done" : "discouraged"), \(discoverable ? "discoverable" : "non-discoverable") credential",
                            ceremony: .registration, algorithm: algorithm)
                        c.attestation = attestation
                        c.userVerification = uv
                        c.discoverable = discoverable
                        cases.append(c)
                    }
                }
            }
        }
        return cases
    }

    /// Algorithm × UV × discoverable × counter mode.
    static var authenticationMatrix: [FixtureCase] {
        var cases: [FixtureCase] = []
        for algorithm in algorithms {
            for uv in [true, false] {
                for discoverable in [true, false] {
                    for counter in [SignCounterMode.increment, .zero] {
                        var c = FixtureCase(
                            name: "authentication-\(algorithm.name)-\(uv ? "uv" : "no-uv")-\(discoverable ? "discoverable" : "allow-list")-counter-\(counter == .increment ? "increment" : "zero")",
                            summary: "\(FixtureCase.algorithmName(algorithm)) assertion, user verification \(uv ? "required and done" : "discouraged"), \(discoverable ? "discoverable credential, empty allowCredentials" : "credential named in allowCredentials"), counter \(counter == .increment ? "incrementing" : "always 0")",
                            ceremony: .authentication, algorithm: algorithm)
                        c.userVerification = uv
                        c.discoverable = discoverable
                        c.counter = counter
                        cases.append(c)
                    }
                }
            }
        }
        return cases
    }

    /// Backup flags, extensions and the client data shapes browsers send.
    static var features: [FixtureCase] {
        var cases: [FixtureCase] = []
        func add(_ name: String, _ summary: String, _ ceremony: FixtureCase.Ceremony, _ algorithm: COSEAlgorithm,
                 _ configure: (inout FixtureCase) -> Void) {
            var c = FixtureCase(name: name, summary: summary, ceremony: ceremony, algorithm: algorithm)
            // Self attestation signs the authenticator data, so fido2-cred can check these too.
            c.attestation = .self
            configure(&c)
            cases.append(c)
        }
        add("registration-es256-backup-eligible", "BE set, BS clear: a passkey that may sync but has not", .registration, .es256) {
            $0.backupEligible = true; $0.discoverable = true; $0.userVerification = true
        }
        add("registration-eddsa-backed-up", "BE and BS set, counter always 0: a synced passkey", .registration, .edDSA) {
            $0.backupEligible = true; $0.backedUp = true; $0.counter = .zero; $0.discoverable = true; $0.userVerification = true
        }
        add("authentication-es256-backup-eligible", "assertion with BE set and BS clear", .authentication, .es256) {
            $0.backupEligible = true; $0.discoverable = true; $0.userVerification = true
        }
        add("authentication-es256-backed-up", "assertion of a synced passkey: BE and BS set, counter always 0", .authentication, .es256) {
            $0.backupEligible = true; $0.backedUp = true; $0.counter = .zero; $0.discoverable = true; $0.userVerification = true
        }
        add("registration-es256-cred-props-discoverable", "credProps reports rk: true", .registration, .es256) {
            $0.credProps = true; $0.discoverable = true; $0.userVerification = true
        }
        add("registration-es256-cred-props-server-side", "credProps reports rk: false", .registration, .es256) {
            $0.credProps = true
        }
        add("registration-es256-prf", "prf at registration: hmac-secret in the authenticator data, prf.enabled in the client results", .registration, .es256) {
            $0.prf = true; $0.discoverable = true; $0.userVerification = true
        }
        add("registration-eddsa-cred-protect-2", "credProtect userVerificationOptionalWithCredentialIDList (level 2)", .registration, .edDSA) {
            $0.credentialProtection = .userVerificationOptionalWithCredentialIDList; $0.discoverable = true
        }
        add("registration-es256-cred-protect-3", "credProtect userVerificationRequired (level 3), enforced", .registration, .es256) {
            $0.credentialProtection = .userVerificationRequired; $0.discoverable = true; $0.userVerification = true
        }
        add("authentication-es256-cred-protect-3", "assertion of a credProtect level 3 credential, with UV", .authentication, .es256) {
            $0.credentialProtection = .userVerificationRequired; $0.discoverable = true; $0.userVerification = true
        }
        add("registration-rs256-cred-props-prf", "credProps and prf together on an RS256 credential", .registration, .rs256) {
            $0.credProps = true; $0.prf = true; $0.discoverable = true; $0.userVerification = true
        }
        add("registration-es256-cross-origin-iframe", "called from a cross-origin iframe: crossOrigin true and topOrigin in clientDataJSON", .registration, .es256) {
            $0.crossOrigin = true; $0.userVerification = true
        }
        add("authentication-es256-cross-origin-iframe", "assertion from a cross-origin iframe: crossOrigin true and topOrigin", .authentication, .es256) {
            $0.crossOrigin = true; $0.userVerification = true
        }
        add("registration-es256-chromium-extra-member", "clientDataJSON with Chromium's extra other_keys_can_be_added_here member", .registration, .es256) {
            $0.chromiumExtraMember = true; $0.attestation = .x5c
        }
        add("authentication-eddsa-chromium-extra-member", "assertion whose clientDataJSON has Chromium's extra member", .authentication, .edDSA) {
            $0.chromiumExtraMember = true
        }
        add("authentication-rs256-chromium-extra-member", "RS256 assertion whose clientDataJSON has Chromium's extra member", .authentication, .rs256) {
            $0.chromiumExtraMember = true; $0.userVerification = true
        }
        return cases
    }

    static var negatives: [FixtureCase] {
        var cases: [FixtureCase] = []
        func add(_ ceremony: FixtureCase.Ceremony, _ slug: String, _ failure: FixtureFailure, _ summary: String,
                 algorithm: COSEAlgorithm = .es256, _ configure: (inout FixtureCase) -> Void = { _ in }) {
            var c = FixtureCase(name: "negative-\(ceremony.rawValue)-\(slug)", summary: summary, ceremony: ceremony, algorithm: algorithm)
            c.negative = failure
            // Signed (self) attestation unless a case says otherwise: the tampered part is then
            // under a signature that was made again, and fido2-cred can look at it.
            c.attestation = .self
            configure(&c)
            cases.append(c)
        }
        add(.authentication, "bad-signature", .signature, "one bit of the assertion signature flipped")
        add(.registration, "bad-signature", .signature, "one bit of the packed self attestation signature flipped") { $0.attestation = .self }
        add(.authentication, "wrong-rp-id-hash", .rpIdHash, "authenticator data for another RP ID, correctly signed")
        add(.registration, "wrong-rp-id-hash", .rpIdHash, "authenticator data for another RP ID, packed x5c correctly signed") { $0.attestation = .x5c }
        add(.authentication, "wrong-origin", .origin, "clientDataJSON from another origin, correctly signed")
        add(.registration, "wrong-origin", .origin, "clientDataJSON from another origin (none attestation)") { $0.attestation = .none }
        add(.authentication, "wrong-challenge", .challenge, "response to another challenge than the one in options")
        add(.registration, "wrong-challenge", .challenge, "response to another challenge than the one in options (none attestation)") { $0.attestation = .none }
        add(.authentication, "wrong-type", .type, "clientDataJSON.type webauthn.create in an assertion, correctly signed")
        add(.registration, "wrong-type", .type, "clientDataJSON.type webauthn.get in a registration, correctly signed")
        add(.authentication, "up-clear", .userPresence, "UP flag clear, correctly signed")
        add(.registration, "up-clear", .userPresence, "UP flag clear, self attestation correctly signed")
        add(.authentication, "uv-clear-when-required", .userVerification, "options require user verification, the UV flag is clear")
        add(.registration, "uv-clear-when-required", .userVerification, "options require user verification, the UV flag is clear")
        add(.authentication, "counter-regression", .signCount, "signCount not greater than the stored previousSignCount")
        add(.registration, "non-canonical-cbor", .canonicalCBOR, "attestation object map keys in non-canonical order (authData first)")
        add(.registration, "x5c-wrong-aaguid", .attestationAAGUID, "packed x5c leaf whose AAGUID extension differs from the authenticator data's") { $0.attestation = .x5c }
        add(.registration, "x5c-other-root", .attestationTrustChain, "packed x5c leaf issued by another root than trustAnchorPem") { $0.attestation = .x5c }
        add(.authentication, "truncated-authenticator-data", .authenticatorDataTruncated, "authenticator data cut to 35 bytes, correctly signed")
        add(.registration, "attested-data-trailing-bytes", .authenticatorDataTrailingBytes, "a byte after the credential public key with ED clear, self attestation correctly signed")
        add(.registration, "cose-alg-not-requested", .algorithm, "an EdDSA credential for options that only allow ES256", algorithm: .edDSA)
        return cases
    }
}
