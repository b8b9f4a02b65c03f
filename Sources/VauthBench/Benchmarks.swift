import COpenSSL
import VauthAuthenticator
import VauthCBOR
import VauthCrypto
import VauthKeystore
import VauthWebAuthn

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// vauth's speed and memory goals, measured as users meet them — the operations they run, not
/// pieces of them — and next to OpenSSL's limit on the same machine in the same run, so the
/// ratios mean something on a noisy shared machine (absolute rates do not travel; ratios do).
///
/// What is measured (all in this process unless said otherwise):
/// - per algorithm: OpenSSL's own sign loop (``OpenSSLSignLoop``), getAssertion with a warm
///   authenticator (key cache filled, as `serve` or a browser bridge keep it) and a cold one
///   (the key loaded from its stored PKCS#8 every time, as a one-shot command does), and
///   makeCredential with `none`, self and packed x5c attestation;
/// - CBOR: a makeCredential request through the canonical encoder and the strict decoder;
/// - the JSON client layer: `WebAuthnClient.get` / `create` from options JSON to response JSON;
/// - the keystore: an assertion through the encrypted keystore (open, find, decrypt, sign,
///   journal the counter, close) at 10 and 10,000 credentials, on tmpfs and on disk;
/// - the command: `vauth get` and `vauth --version` as processes (wall time, peak RSS via wait4).
public struct Benchmarks {
    public struct Settings: Sendable {
        public var quick: Bool
        /// Seconds per timed round, and rounds per measurement (the best round counts).
        public var roundSeconds: Double
        public var rounds: Int
        public var smallKeystore: Int
        public var largeKeystore: Int
        /// `vauth get` processes timed.
        public var commandRuns: Int

        public init(quick: Bool = false, largeKeystore: Int = 10_000) {
            self.quick = quick
            roundSeconds = quick ? 0.12 : 0.5
            rounds = quick ? 2 : 3
            smallKeystore = 10
            self.largeKeystore = largeKeystore
            commandRuns = quick ? 8 : 30
        }
    }

    public let settings: Settings
    /// The `vauth` binary, for the whole-command measurement (nil skips it).
    public let executable: String?

    public init(settings: Settings, executable: String?) {
        self.settings = settings
        self.executable = executable
    }

    public func run(progress: (String) -> Void) throws -> BenchmarkReport {
        var report = BenchmarkReport(settings: settings)
        let identity = try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)

        for algorithm in COSEAlgorithm.allCases {
            progress("\(algorithm.name): OpenSSL's sign loop, getAssertion, makeCredential")
            let numbers = try measureAlgorithm(algorithm, identity: identity)
            report.add(group: Self.groupName(algorithm), numbers)
        }

        progress("CBOR and the JSON client layer")
        report.add(group: "cbor", try measureCBOR())
        report.add(group: "client", try measureClient(identity: identity))

        progress("keystore assertions at \(settings.smallKeystore) and \(settings.largeKeystore) credentials")
        let scratch = try ScratchDirectory(under: "/tmp").orThrow("cannot make a directory in /tmp")
        defer { scratch.remove() }
        let memory = ScratchDirectory.isTmpfs("/dev/shm") ? ScratchDirectory(under: "/dev/shm") : nil
        defer { memory?.remove() }
        let keystores = try KeystoreFixture(identity: identity, settings: settings, disk: scratch, tmpfs: memory)
        report.add(group: "keystore", try keystores.measure(seconds: settings.roundSeconds, rounds: settings.rounds))

        if let executable {
            progress("`vauth get` and `vauth --version` as processes")
            report.add(group: "cli", try measureCommand(executable, keystores: keystores, scratch: scratch))
        }
        report.evaluateGoals()
        return report
    }

    static func groupName(_ algorithm: COSEAlgorithm) -> String {
        switch algorithm {
        case .es256: return "es256"
        case .edDSA: return "eddsa"
        case .rs256: return "rs256"
        }
    }

    // MARK: - Per algorithm

    private func measureAlgorithm(_ algorithm: COSEAlgorithm, identity: AuthenticatorIdentity) throws -> [(String, Double)] {
        let limit = try OpenSSLSignLoop(typeName: algorithm == .es256 ? "EC" : algorithm == .edDSA ? "ED25519" : "RSA")
        let key = try SigningKey.generate(algorithm)
        let record = CredentialRecord(id: try SecureRandom.bytes(16), rp: RelyingPartyEntity(id: "bench.example"),
                                      user: UserEntity(id: [1, 2, 3, 4], name: "bench"), algorithm: algorithm,
                                      privateKey: try key.pkcs8DER(), discoverable: false, createdAt: 0)
        let store = InMemoryCredentialStore([record])
        let warm = Authenticator(identity: identity, store: store)
        let cold = Authenticator(identity: identity, store: store)
        cold.keyCache.capacity = 0
        let assertion = GetAssertionRequest(rpId: "bench.example", clientDataHash: SHA256.hash(Array("bench".utf8)),
                                            allowList: [CredentialDescriptor(id: record.id)])

        func maker(_ attestation: AttestationKind) -> Authenticator {
            Authenticator(identity: identity, policy: AuthenticatorPolicy(attestation: attestation), store: DiscardingCredentialStore())
        }
        let makers: [(String, Authenticator)] = [("makeCredential", maker(.none)), ("makeCredentialSelf", maker(.self)),
                                                 ("makeCredentialX5c", maker(.packed))]
        let creation = MakeCredentialRequest(clientDataHash: SHA256.hash(Array("bench".utf8)),
                                             rp: RelyingPartyEntity(id: "bench.example", name: "Bench"),
                                             user: UserEntity(id: [1, 2, 3, 4], name: "bench", displayName: "Bench"),
                                             pubKeyCredParams: [CredentialParameter(algorithm: algorithm.rawValue)])

        var best: [String: Double] = [:]
        var order: [String] = []
        func keep(_ name: String, _ rate: Double) {
            if best[name] == nil { order.append(name) }
            best[name] = max(best[name] ?? 0, rate)
        }
        let seconds = settings.roundSeconds
        // The signing ratios: OpenSSL's loop and getAssertion in alternating slices.
        let signing = try Measure.interleaved(seconds: 3 * seconds * Double(settings.rounds), [
            { try limit.sign() }, { _ = try warm.getAssertion(assertion) }, { _ = try cold.getAssertion(assertion) },
        ])
        keep("opensslSign", signing[0])
        keep("getAssertion", signing[1])
        keep("getAssertionCold", signing[2])
        for _ in 0..<settings.rounds {
            for (name, authenticator) in makers {
                // RSA key generation takes tens of milliseconds: fewer operations, same rounds.
                keep(name, try Measure.rate(seconds: seconds, minimum: algorithm == .rs256 ? 1 : 3) {
                    _ = try authenticator.makeCredential(creation)
                })
            }
        }
        var numbers = order.map { ($0, best[$0]!) }
        numbers.append(("warmRatio", best["getAssertion"]! / best["opensslSign"]!))
        numbers.append(("coldRatio", best["getAssertionCold"]! / best["opensslSign"]!))
        return numbers
    }

    // MARK: - CBOR and client

    private func measureCBOR() throws -> [(String, Double)] {
        let request = MakeCredentialRequest(clientDataHash: SHA256.hash(Array("bench".utf8)), rp: RelyingPartyEntity(id: "bench.example", name: "Bench"),
                                            user: UserEntity(id: [1, 2, 3], name: "u", displayName: "U"),
                                            pubKeyCredParams: [CredentialParameter(algorithm: -7), CredentialParameter(algorithm: -8)])
        let encoded = request.cborValue.encoded
        var encode = 0.0, roundTrip = 0.0
        for _ in 0..<settings.rounds {
            encode = max(encode, try Measure.rate(seconds: settings.roundSeconds) { _ = request.cborValue.encoded })
            roundTrip = max(roundTrip, try Measure.rate(seconds: settings.roundSeconds) {
                _ = try MakeCredentialRequest(cbor: try CBORDecoder(limits: .ctap).decode(request.cborValue.encoded))
            })
        }
        return [("encodeMakeCredential", encode), ("encodeDecodeMakeCredential", roundTrip), ("requestBytes", Double(encoded.count))]
    }

    private func measureClient(identity: AuthenticatorIdentity) throws -> [(String, Double)] {
        let store = InMemoryCredentialStore()
        let authenticator = Authenticator(identity: identity, policy: AuthenticatorPolicy(attestation: .none), store: store)
        let client = WebAuthnClient(authenticator: authenticator)
        let origin = "https://bench.example"
        let createJSON = """
            {"rp":{"id":"bench.example","name":"Bench"},"user":{"id":"AQIDBA","name":"bench","displayName":"Bench"},
             "challenge":"AAAAAAAAAAAAAAAAAAAAAA","pubKeyCredParams":[{"type":"public-key","alg":-7}],"attestation":"none"}
            """
        let created = try client.create(optionsJSON: createJSON, origin: origin)
        let getJSON = """
            {"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rpId":"bench.example",
             "allowCredentials":[{"type":"public-key","id":"\(Base64.urlEncode(created.rawId))"}]}
            """
        // The store keeps what create makes; a fresh one per round stops it growing without bound.
        let creator = WebAuthnClient(authenticator: Authenticator(identity: identity, policy: AuthenticatorPolicy(attestation: .none),
                                                                  store: DiscardingCredentialStore()))
        var get = 0.0, create = 0.0
        for _ in 0..<settings.rounds {
            get = max(get, try Measure.rate(seconds: settings.roundSeconds) {
                _ = JSONSerializer.serialize(try client.get(optionsJSON: getJSON, origin: origin).json, style: .compact)
            })
            create = max(create, try Measure.rate(seconds: settings.roundSeconds) {
                _ = JSONSerializer.serialize(try creator.create(optionsJSON: createJSON, origin: origin).json, style: .compact)
            })
        }
        return [("getJSON", get), ("createJSON", create)]
    }

    // MARK: - The command

    private func measureCommand(_ executable: String, keystores: KeystoreFixture, scratch: ScratchDirectory) throws -> [(String, Double)] {
        let options = "{\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"rpId\":\"bench.example\",\"allowCredentials\":[{\"type\":\"public-key\",\"id\":\"\(Base64.urlEncode(keystores.target))\"}]}"
        try scratch.save("options.json", Array(options.utf8))
        let environment = ["VAUTH_KEYSTORE": keystores.diskSmall, "VAUTH_KEY_FILE": keystores.keyPath, "HOME": scratch.path,
                           "PATH": "/usr/bin:/bin"]
        let get = ["get", "--origin", "https://bench.example", "--options", scratch.file("options.json"), "--compact"]
        var inMemory = environment
        if let tmpfs = keystores.tmpfsSmall { inMemory["VAUTH_KEYSTORE"] = tmpfs }
        _ = try ChildRun.run(executable, get, environment: environment)  // page cache, dynamic linker cache
        var walls: [Double] = [], memoryWalls: [Double] = [], versions: [Double] = []
        var peak = 0.0
        for _ in 0..<settings.commandRuns {
            // Interleaved, so that drifting load affects each alike; medians, since one slow fsync
            // or descheduling says more about the machine than about vauth.
            let run = try ChildRun.run(executable, get, environment: environment)
            walls.append(run.wallSeconds)
            peak = max(peak, run.peakRSSMegabytes)
            memoryWalls.append(try ChildRun.run(executable, get, environment: inMemory).wallSeconds)
            versions.append(try ChildRun.run(executable, ["--version"], environment: environment).wallSeconds)
        }
        var measuredPeak: Double?
        for _ in 0..<3 {
            if let rss = try ChildRun.peakRSS(executable, get, environment: environment, scratch: scratch) {
                measuredPeak = max(measuredPeak ?? 0, rss)
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] * 1000 }
        return [("getWallMs", median(walls)), ("getTmpfsWallMs", median(memoryWalls)),
                ("getPeakRssMB", measuredPeak ?? peak), ("versionWallMs", median(versions))]
    }
}

/// A store that keeps nothing: makeCredential is timed without a growing store under it.
final class DiscardingCredentialStore: CredentialStore {
    func credential(id: [UInt8], rpId: String) -> CredentialRecord? { nil }
    func discoverableCredentials(rpId: String) -> [CredentialSummary] { [] }
    func allCredentials() -> [CredentialRecord] { [] }
    func save(_ record: CredentialRecord, replacing: [UInt8]?) {}
    func updateSignCount(id: [UInt8], to count: UInt32) {}
    func delete(id: [UInt8]) -> Bool { false }
}

extension Optional {
    func orThrow(_ message: String) throws -> Wrapped {
        guard let self else { throw BenchmarkError(message) }
        return self
    }
}
