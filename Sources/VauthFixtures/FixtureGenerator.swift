import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthWebAuthn

/// Deterministic WebAuthn test vectors for relying-party projects (`vauth fixtures`).
///
/// Every byte derives from `seed`: a root ``HMACDRBG`` gives the attestation authority, and each
/// vector has its own generator seeded with the seed and the vector's name, so vectors do not
/// shift when others are added. Registrations and assertions come from vauth's real
/// ``Authenticator`` and ``WebAuthnClient`` with injected randomness, RFC 6979 ES256 signatures
/// and a fixed clock. Negative vectors are valid ones changed in exactly one respect, and
/// re-signed where the change is under a signature, so that only the labelled check fails.
public struct FixtureGenerator {
    /// Bumped whenever the output for a given seed and count changes.
    public static let version = "1"
    public static let origin = "https://login.example.com"
    public static let rpId = "login.example.com"
    /// The top-level page of the cross-origin iframe vectors.
    public static let topOrigin = "https://shop.example.net"
    /// An origin and RP ID no vector is meant for, for the negative vectors.
    static let foreignOrigin = "https://login.example.net"
    static let foreignRpId = "login.example.net"

    /// The number of distinct cases: `count` beyond it repeats them with fresh keys and challenges.
    public static var casesPerRound: Int { FixtureCatalogue.all.count }

    public static let maximumSeed: UInt64 = 9_007_199_254_740_991

    public let seed: UInt64
    public let count: Int

    /// `count` defaults to one full round of cases.
    public init(seed: UInt64, count: Int? = nil) throws(FixtureError) {
        let count = count ?? Self.casesPerRound
        guard (1...10_000).contains(count) else { throw FixtureError("--count must be between 1 and 10000, not \(count)") }
        // The manifest records the seed as a JSON number, exact only up to 2^53 - 1.
        guard seed <= Self.maximumSeed else { throw FixtureError("--seed must be at most \(Self.maximumSeed) (2^53 - 1), not \(seed)") }
        self.seed = seed
        self.count = count
    }

    /// One output file: its name in the output folder and its bytes.
    public struct File: Sendable {
        public let name: String
        public let bytes: [UInt8]
    }

    /// The vector files in order, then `manifest.json`.
    public func generate() throws -> [File] {
        let seedMaterial = Array("vauth fixtures v\(Self.version)".utf8) + (0..<8).map { UInt8(truncatingIfNeeded: seed >> (56 - 8 * $0)) }
        let authority = try FixtureAuthority(random: HMACDRBG(seedMaterial: seedMaterial + Array("/authority".utf8)))
        let cases = FixtureCatalogue.all
        var files: [File] = []
        var entries: [JSONValue] = []
        for index in 0..<count {
            let fixture = cases[index % cases.count]
            let round = index / cases.count
            let name = round == 0 ? fixture.name : "\(fixture.name)-r\(round)"
            let random = HMACDRBG(seedMaterial: seedMaterial + Array("/vector/\(name)".utf8))
            let vector = try makeVector(fixture, name: name, authority: authority, random: random)
            let file = File(name: "\(name).json", bytes: vector.fileBytes)
            files.append(file)
            entries.append([
                "file": .string(file.name),
                "name": .string(name),
                "ceremony": .string(fixture.ceremony.rawValue),
                "valid": .bool(fixture.negative == nil),
                "failure": fixture.negative.map { .string($0.rawValue) } ?? .null,
                "properties": fixture.properties,
                "sha256": .string(SHA256.hex(file.bytes)),
            ])
        }
        let manifest: JSONValue = [
            "generator": "vauth fixtures",
            "generatorVersion": .string(Self.version),
            "seed": .number(Double(seed)),
            "count": .number(Double(count)),
            "origin": .string(Self.origin),
            "rpId": .string(Self.rpId),
            "trustAnchorPem": .string(try authority.root.pem()),
            "files": .array(entries),
        ]
        files.append(File(name: "manifest.json", bytes: Array((manifest.serialized(.pretty) + "\n").utf8)))
        return files
    }

    // MARK: - One vector

    func makeVector(_ fixture: FixtureCase, name: String, authority: FixtureAuthority, random: HMACDRBG) throws -> FixtureVector {
        let identity: AuthenticatorIdentity
        switch fixture.negative {
        case .attestationAAGUID: identity = authority.wrongAAGUIDIdentity
        case .attestationTrustChain: identity = authority.otherRootIdentity
        default: identity = authority.identity
        }
        let ceremony = FixtureCeremony(identity: identity, fixture: fixture, random: random.child("authenticator"),
                                       topOrigin: try Origin(Self.topOrigin))
        let userHandle = random.bytes(16 + Int(random.bytes(1)[0] % 17))
        let registrationChallenge = random.bytes(32)
        let creationOptions = registrationOptions(fixture, challenge: registrationChallenge, userHandle: userHandle)
        let registration = try ceremony.create(options: creationOptions, origin: Self.origin)
        let credential = try credentialJSON(registration)

        var vector: FixtureVector
        if fixture.ceremony == .registration {
            vector = FixtureVector(fixture: fixture, name: name, origin: Self.origin, rpId: Self.rpId, options: creationOptions,
                                   registration: registration, credential: credential, challenge: registrationChallenge,
                                   trustAnchorPem: fixture.attestation.hasCertificateChain ? try authority.root.pem() : nil)
        } else {
            // An incrementing counter has been used a few times before, so previousSignCount is
            // not always 0.
            let uses = fixture.counter == .increment ? 1 + Int(random.bytes(1)[0] % 3) : 1
            var previous: UInt32 = 0
            var options: JSONValue = .null
            var challenge: [UInt8] = []
            var response: AuthenticationResponseJSON?
            for _ in 0..<uses {
                previous = ceremony.signCount(id: registration.rawId)
                challenge = random.bytes(32)
                options = authenticationOptions(fixture, challenge: challenge, registration: registration)
                response = try ceremony.get(options: options, origin: Self.origin)
            }
            vector = FixtureVector(fixture: fixture, name: name, origin: Self.origin, rpId: Self.rpId, options: options,
                                   authentication: response, credential: credential, challenge: challenge,
                                   previousSignCount: previous)
        }
        if let failure = fixture.negative {
            try FixtureTampering(ceremony: ceremony, identity: identity, authority: authority, random: random.child("tampering"))
                .apply(failure, to: &vector)
        }
        return vector
    }

    /// PublicKeyCredentialCreationOptionsJSON (L3 §5.1.1) as an RP would send it.
    func registrationOptions(_ fixture: FixtureCase, challenge: [UInt8], userHandle: [UInt8]) -> JSONValue {
        let tag = Hex.encode(userHandle.prefix(3))
        // The fixture's algorithm first, then the others, as RPs list several.
        let algorithms = [fixture.algorithm] + FixtureCatalogue.algorithms.filter { $0 != fixture.algorithm }
        var options: JSONValue = [
            "rp": ["name": "Example Login", "id": .string(Self.rpId)],
            "user": ["id": .string(Base64.urlEncode(userHandle)), "name": .string("user-\(tag)@example.com"),
                     "displayName": .string("Fixture User \(tag)")],
            "challenge": .string(Base64.urlEncode(challenge)),
            "pubKeyCredParams": .array(algorithms.map { ["type": "public-key", "alg": .number(Double($0.rawValue))] }),
            "timeout": 60000,
            "excludeCredentials": [],
            "authenticatorSelection": [
                "residentKey": fixture.discoverable ? "required" : "discouraged",
                "requireResidentKey": .bool(fixture.discoverable),
                "userVerification": fixture.userVerification ? "required" : "discouraged",
            ],
            "attestation": fixture.attestation.kind.format.attestationType == .none ? "none" : "direct",
        ]
        var extensions: [(String, JSONValue)] = []
        if fixture.credProps { extensions.append(("credProps", true)) }
        if fixture.prf { extensions.append(("prf", [:])) }
        if let policy = fixture.credentialProtection {
            extensions.append(("credentialProtectionPolicy", .string(policy.rawValue)))
            extensions.append(("enforceCredentialProtectionPolicy", true))
        }
        if !extensions.isEmpty { options = options.setting("extensions", .object(extensions)) }
        return options
    }

    /// PublicKeyCredentialRequestOptionsJSON (L3 §5.1.2): an empty allowCredentials for a
    /// discoverable credential, the credential named otherwise.
    func authenticationOptions(_ fixture: FixtureCase, challenge: [UInt8], registration: RegistrationResponseJSON) -> JSONValue {
        let allow: [JSONValue] = fixture.discoverable ? [] : [[
            "id": .string(registration.id), "type": "public-key", "transports": .array(registration.transports.map(JSONValue.string)),
        ]]
        return [
            "challenge": .string(Base64.urlEncode(challenge)),
            "timeout": 60000,
            "rpId": .string(Self.rpId),
            "allowCredentials": .array(allow),
            "userVerification": fixture.userVerification ? "required" : "discouraged",
        ]
    }

    /// The credential as an RP stores it after registration.
    func credentialJSON(_ registration: RegistrationResponseJSON) throws -> JSONValue {
        let authenticatorData = try AuthenticatorData(bytes: registration.authenticatorData)
        guard let attested = authenticatorData.attestedCredentialData else { throw FixtureError("registration without attested credential data") }
        return [
            "id": .string(registration.id),
            "algorithm": .number(Double(registration.publicKeyAlgorithm)),
            "publicKeyCose": .string(Base64.urlEncode(attested.publicKey.encoded)),
            "publicKeySpki": .string(Base64.urlEncode(registration.publicKey ?? [])),
        ]
    }
}
