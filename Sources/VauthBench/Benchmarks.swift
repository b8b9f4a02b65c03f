import VauthAuthenticator
import VauthCrypto

/// vauth's speed and memory goals, measured at each layer users run and next to OpenSSL's limit
/// (and soft-webauthn) in the same alternating slices, so the ratios hold on a noisy shared
/// machine (absolute rates do not travel; ratios from the same moments do). Groups:
///
/// - `es256.get`, `eddsa.get`, `rs256.get`: getAssertion typed, over CBOR bytes and through the
///   JSON client, warm and cold (``LayerBenchmarks``);
/// - `es256.create`, …: makeCredential the same way, next to OpenSSL's key generation;
/// - `cli`: `vauth get` / `vauth create` processes, warm and cold (``CommandBenchmarks``);
/// - `serve`: getAssertion over CTAPHID/UDP to `vauth serve` (``ServeBenchmarks``);
/// - `keystore`: the keystore at 10 and 50,000 credentials for allow-list and discoverable gets
///   and for create, in process and as processes (``KeystoreScaleBenchmarks``).
public struct Benchmarks {
    public struct Settings: Sendable {
        public var quick: Bool
        /// Alternating slices per operation, and their length.
        public var rounds: Int
        public var slice: Double
        public var smallKeystore: Int
        public var largeKeystore: Int
        /// `vauth` processes per slice of the CLI group, and per size in the keystore group.
        public var runsPerSlice: Int
        public var processRuns: Int

        public init(quick: Bool = false) {
            self.quick = quick
            rounds = quick ? 5 : 7
            slice = quick ? 0.01 : 0.05
            smallKeystore = 10
            largeKeystore = quick ? 1_000 : 50_000
            runsPerSlice = quick ? 1 : 3
            processRuns = quick ? 2 : 7
        }
    }

    /// Which groups to run (`--only`); all by default.
    public enum Group: String, CaseIterable, Sendable {
        case get, create, cli, serve, keystore
    }

    public let settings: Settings
    /// The `vauth` binary, for the process groups (nil skips them).
    public let executable: String?
    /// Another vauth build whose `get` runs in the CLI group's slices (the start-up ratio).
    public let baseline: String?
    /// A Python with soft-webauthn installed, for the comparison in the same slices.
    public let softWebauthnPython: String?
    public let groups: Set<Group>
    /// The algorithms of the get and create groups (all by default; `--only es256.get` narrows).
    public let algorithms: [COSEAlgorithm]

    public init(settings: Settings, executable: String?, baseline: String? = nil, softWebauthnPython: String? = nil,
                groups: Set<Group> = Set(Group.allCases), algorithms: [COSEAlgorithm] = COSEAlgorithm.allCases) {
        self.algorithms = algorithms
        self.settings = settings
        self.executable = executable
        self.baseline = baseline
        self.softWebauthnPython = softWebauthnPython
        self.groups = groups
    }

    public func run(progress: (String) -> Void) throws -> BenchmarkReport {
        var report = BenchmarkReport(settings: settings)
        let identity = try AuthenticatorIdentity.generate(now: Authenticator.systemClock() / 1000)
        var worker: SoftWebauthnWorker?
        if let softWebauthnPython {
            worker = try SoftWebauthnWorker(python: softWebauthnPython)
        } else if groups.contains(.get) || groups.contains(.create) {
            report.skip("soft-webauthn (give --soft-webauthn PYTHON; Tests/Interop/bench/compare_soft_webauthn.py makes one)")
        }

        for algorithm in algorithms {
            let layers = LayerBenchmarks(algorithm: algorithm, identity: identity, rounds: settings.rounds, slice: settings.slice,
                                         softWebauthn: worker)
            if groups.contains(.get) {
                progress("\(algorithm.name) get: OpenSSL, typed, CBOR bytes, JSON client\(worker != nil && algorithm == .es256 ? ", soft-webauthn" : "")")
                report.add(try layers.assertions())
            }
            if groups.contains(.create) {
                progress("\(algorithm.name) create: OpenSSL key generation, typed, CBOR bytes, JSON client")
                report.add(try layers.creations())
            }
        }
        worker = nil

        let needsDisk = groups.contains(.cli) || groups.contains(.serve) || groups.contains(.keystore)
        guard needsDisk else {
            report.evaluateGoals()
            return report
        }
        let disk = try ScratchDirectory(under: "/tmp").orThrow("cannot make a directory in /tmp")
        defer { disk.remove() }
        let memory = ScratchDirectory.isTmpfs("/dev/shm") ? ScratchDirectory(under: "/dev/shm") : nil
        defer { memory?.remove() }
        let keyPath = disk.file("key")
        try disk.save("key", try SecureRandom.bytes(32))
        if memory == nil { report.skip("tmpfs: /dev/shm is not a tmpfs, so serve and the keystore scale ran on the disk") }

        if groups.contains(.cli) {
            if let executable {
                progress("`vauth get` and `vauth create` as processes, warm and cold")
                let keystore = try BenchKeystore.make(at: disk.file("cli.vauth"), keyPath: keyPath, count: settings.smallKeystore, identity: identity)
                let creating = try BenchKeystore.make(at: disk.file("cli-create.vauth"), keyPath: keyPath, count: settings.smallKeystore, identity: identity)
                report.add(try CommandBenchmarks(executable: executable, baseline: baseline, keystore: keystore, createKeystore: creating,
                                                 scratch: disk, rounds: settings.rounds, runsPerSlice: settings.runsPerSlice).measure())
            } else {
                report.skip("cli: no vauth executable")
            }
        }
        let place = memory ?? disk
        if groups.contains(.serve) {
            if let executable {
                progress("`vauth serve` over UDP")
                // 1,100 credentials of bench.example for the cold requests (more than the 1,024 keys serve caches).
                let keystore = try BenchKeystore.make(at: place.file("serve.vauth"), keyPath: keyPath, count: settings.smallKeystore, identity: identity)
                let extra = try keystore.addCredentials(rpId: "bench.example", count: settings.quick ? 64 : 1_100)
                report.add(try ServeBenchmarks(executable: executable, keystore: keystore, scratch: disk, rounds: settings.rounds,
                                               slice: settings.slice * 2, coldCredentials: extra).measure())
            } else {
                report.skip("serve: no vauth executable")
            }
        }
        if groups.contains(.keystore) {
            progress("keystore at \(settings.smallKeystore) and \(settings.largeKeystore) credentials: allow-list get, discoverable get, create")
            let small = try BenchKeystore.make(at: place.file("small.vauth"), keyPath: keyPath, count: settings.smallKeystore, identity: identity)
            let large = try BenchKeystore.make(at: place.file("large.vauth"), keyPath: keyPath, count: settings.largeKeystore, identity: identity)
            report.add(try KeystoreScaleBenchmarks(small: small, large: large, executable: executable, scratch: disk,
                                                   rounds: settings.rounds, slice: settings.slice * 2, processRuns: settings.processRuns,
                                                   onTmpfs: memory != nil).measure())
        }
        report.evaluateGoals()
        return report
    }

    /// `--only` names: `get`, `create`, `cli`, `serve`, `keystore`, or `es256.get` and the like
    /// for one algorithm's group. Nil for a name that is none of them.
    public static func parseGroups(_ text: String) -> (Set<Group>, [COSEAlgorithm])? {
        var groups = Set<Group>()
        var algorithms: [COSEAlgorithm] = []
        for name in text.split(separator: ",") {
            let parts = name.split(separator: ".", maxSplits: 1)
            if parts.count == 2, let algorithm = COSEAlgorithm.allCases.first(where: { groupName($0) == parts[0] }),
               let group = Group(rawValue: String(parts[1])), group == .get || group == .create {
                groups.insert(group)
                if !algorithms.contains(algorithm) { algorithms.append(algorithm) }
            } else if let group = Group(rawValue: String(name)) {
                groups.insert(group)
            } else {
                return nil
            }
        }
        return (groups, algorithms.isEmpty ? COSEAlgorithm.allCases : algorithms)
    }

    static func groupName(_ algorithm: COSEAlgorithm) -> String {
        switch algorithm {
        case .es256: return "es256"
        case .edDSA: return "eddsa"
        case .rs256: return "rs256"
        }
    }
}
