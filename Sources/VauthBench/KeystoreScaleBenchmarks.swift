import VauthAuthenticator
import VauthCrypto
import VauthKeystore
import VauthWebAuthn

/// What a keystore's size costs: the same ceremony against a keystore of `small` and of `large`
/// credentials (10 and 50,000 in a full run), in alternating slices, for the three things a user
/// does to a keystore:
///
/// - `getAllow`: `get` with an allow list naming the credential;
/// - `getDiscoverable`: `get` with an empty allow list (the RP's discoverable credentials: one
///   in both keystores, so only the keystore's size differs);
/// - `create`: a new discoverable credential (the keystores are restored to their first state
///   every round, so they do not grow during the measurement).
///
/// In process, as `vauth get` / `vauth create` run it after start-up: open the keystore (lock,
/// header, data key), a staged store, the JSON client from options JSON to response JSON, commit
/// (the counter journal, or the new record), close. Then the same three as `vauth` processes,
/// with their peak RSS, at both sizes.
struct KeystoreScaleBenchmarks {
    let small: BenchKeystore
    let large: BenchKeystore
    let executable: String?
    let scratch: ScratchDirectory
    let rounds: Int
    let slice: Double
    let processRuns: Int
    /// In memory (tmpfs) the ceremonies are timed in this thread's CPU time; on a disk by the
    /// wall clock, which the journal's fdatasync waits are part of.
    let onTmpfs: Bool

    static func getAllowJSON(_ id: [UInt8]) -> String {
        "{\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"rpId\":\"bench.example\",\"allowCredentials\":[{\"type\":\"public-key\",\"id\":\"\(Base64.urlEncode(id))\"}]}"
    }
    static let getDiscoverableJSON = "{\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAA\",\"rpId\":\"bench.example\"}"
    static func createJSON(user: Int) -> String {
        "{\"rp\":{\"id\":\"bench.example\",\"name\":\"Bench\"},\"user\":{\"id\":\"\(Base64.urlEncode(Array("new-\(user)".utf8)))\","
            + "\"name\":\"new \(user)\",\"displayName\":\"New \(user)\"},\"challenge\":\"AAAAAAAAAAAAAAAAAAAAAA\","
            + "\"pubKeyCredParams\":[{\"type\":\"public-key\",\"alg\":-7}],\"authenticatorSelection\":{\"residentKey\":\"required\"},\"attestation\":\"none\"}"
    }

    /// One ceremony against `keystore`, as the CLI runs it in process.
    static func ceremony(_ keystore: BenchKeystore, _ body: (WebAuthnClient) throws -> String) throws {
        let file = try keystore.open()
        defer { file.close() }
        let staged = StagedCredentialStore(base: EncryptedCredentialStore(file: file))
        let authenticator = Authenticator(aaguid: try file.aaguid(), loadingIdentity: { try file.identity() }, policy: file.policy, store: staged)
        _ = try body(WebAuthnClient(authenticator: authenticator))
        try staged.commit()
    }

    func measure() throws -> MeasurementGroup {
        let probe = MachineLoad.Probe()
        try small.save(as: ".pristine")
        try large.save(as: ".pristine")
        var user = 0
        func operation(_ name: String, _ body: @escaping () throws -> Void) -> Measure.Operation {
            onTmpfs ? Measure.Operation(name, body) : Measure.Operation(wallClock: name, body)
        }
        func operations(_ keystore: BenchKeystore, _ label: String) -> [Measure.Operation] {
            let allow = Self.getAllowJSON(keystore.target)
            return [
                operation("getAllow" + label) {
                    try Self.ceremony(keystore) { try $0.get(optionsJSON: allow, origin: LayerBenchmarks.origin).serialized(.compact) }
                },
                operation("getDiscoverable" + label) {
                    try Self.ceremony(keystore) { try $0.get(optionsJSON: Self.getDiscoverableJSON, origin: LayerBenchmarks.origin).serialized(.compact) }
                },
                operation("create" + label) {
                    user += 1
                    try Self.ceremony(keystore) { try $0.create(optionsJSON: Self.createJSON(user: user), origin: LayerBenchmarks.origin).serialized(.compact) }
                },
            ]
        }
        let all = operations(small, "Small") + operations(large, "Large")
        var rates = [[Double]](repeating: [], count: all.count)
        for operation in all { _ = try operation.run(0) }
        for round in 0..<rounds {
            // Both keystores back to their first state before every round (outside the timing),
            // so the creates do not pile up.
            try small.restore(from: ".pristine")
            try large.restore(from: ".pristine")
            for step in 0..<all.count {
                let index = (step + round) % all.count
                let (count, seconds) = try all[index].run(slice)
                rates[index].append(Double(count) / seconds)
            }
        }
        try small.restore(from: ".pristine")
        try large.restore(from: ".pristine")
        var group = MeasurementGroup(name: "keystore")
        // Milliseconds per ceremony; ratios large / small from the same rounds.
        for (operation, samples) in zip(all, rates) { group.add(operation.name + "Ms", .milliseconds, Statistic(samples.map { 1000 / $0 })) }
        let milliseconds = rates.map { $0.map { 1000 / $0 } }
        for (index, name) in ["getAllow", "getDiscoverable", "create"].enumerated() {
            group.ratio("\(name)LargeMs/\(name)SmallMs", samples: milliseconds[index + 3], over: milliseconds[index])
        }
        if let executable { try measureProcesses(executable, into: &group) }
        group.notes.append("keystores of \(small.count) and \(large.count) credentials under \(ScratchDirectory.parent(of: small.path)); "
                           + (onTmpfs ? "in-process times are this thread's CPU time" : "in-process times are wall time"))
        group.load = probe.finish()
        return group
    }

    /// `vauth get` (allow list, discoverable) and `vauth create` at both sizes: wall time and peak RSS.
    private func measureProcesses(_ executable: String, into group: inout MeasurementGroup) throws {
        var user = 1_000_000
        func arguments(_ kind: String, _ keystore: BenchKeystore) throws -> [String] {
            let name = "\(kind)-\(keystore.count).json"
            switch kind {
            case "getAllow": try scratch.save(name, Array(Self.getAllowJSON(keystore.target).utf8))
            case "getDiscoverable": try scratch.save(name, Array(Self.getDiscoverableJSON.utf8))
            default:
                user += 1
                try scratch.save(name, Array(Self.createJSON(user: user).utf8))
            }
            return [kind == "create" ? "create" : "get", "--origin", LayerBenchmarks.origin, "--options", scratch.file(name), "--compact"]
        }
        for kind in ["getAllow", "getDiscoverable", "create"] {
            var walls: [String: [Double]] = [:]
            for _ in 0..<processRuns {
                for (keystore, label) in [(small, "Small"), (large, "Large")] {
                    let run = try ChildRun.run(executable, try arguments(kind, keystore), environment: keystore.environment)
                    walls[label, default: []].append(run.wallSeconds * 1000)
                }
            }
            for label in ["Small", "Large"] { group.add("vauth-\(kind)\(label)Ms", .milliseconds, Statistic(walls[label]!)) }
            group.ratio("vauth-\(kind)LargeMs/vauth-\(kind)SmallMs", samples: walls["Large"]!, over: walls["Small"]!)
            for (keystore, label) in [(small, "Small"), (large, "Large")] {
                if let rss = try ChildRun.peakRSS(executable, try arguments(kind, keystore), environment: keystore.environment, scratch: scratch) {
                    group.add("vauth-\(kind)\(label)PeakRssMB", .megabytes, Statistic([rss]))
                }
            }
            try small.restore(from: ".pristine")
            try large.restore(from: ".pristine")
        }
    }
}
