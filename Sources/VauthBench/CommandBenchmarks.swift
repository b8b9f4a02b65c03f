import VauthCrypto

/// `vauth get` and `vauth create` as processes, as a shell script or a test suite runs them: the
/// wall time of a `posix_spawn` to its `wait4`, keystore of 10 credentials on the disk, unlocked by
/// a key file.
///
/// - **warm**: the binary, its libraries and the keystore in the page cache, as every run after
///   the first finds them;
/// - **cold**: the binary, the keystore, its journal, the key and options files dropped from the
///   page cache before the run (`posix_fadvise(POSIX_FADV_DONTNEED)`, only those files: nothing
///   else on the shared machine is disturbed), as the first run after a build or a reboot.
///   Shared libraries (libcrypto, libc) stay cached: other processes use them.
///
/// Each slice is `runsPerSlice` runs of one command; its sample is their median; slices
/// alternate between the commands. With a `baseline` binary (another build of vauth, such as an
/// older commit's), its `get` takes part in the same slices and `getWarm/baselineGetWarm` is the
/// start-up ratio between the two builds.
struct CommandBenchmarks {
    let executable: String
    let baseline: String?
    let keystore: BenchKeystore
    let createKeystore: BenchKeystore
    let scratch: ScratchDirectory
    let rounds: Int
    let runsPerSlice: Int

    func measure() throws -> MeasurementGroup {
        let probe = MachineLoad.Probe()
        let getOptions = scratch.file("get-options.json")
        try scratch.save("get-options.json", Array("""
            {"challenge":"AAAAAAAAAAAAAAAAAAAAAA","rpId":"bench.example",\
            "allowCredentials":[{"type":"public-key","id":"\(Base64.urlEncode(keystore.target))"}]}
            """.utf8))
        let createOptions = scratch.file("create-options.json")
        try scratch.save("create-options.json", Array("""
            {"rp":{"id":"bench.example","name":"Bench"},"user":{"id":"AQIDBQ","name":"bench","displayName":"Bench"},\
            "challenge":"AAAAAAAAAAAAAAAAAAAAAA","pubKeyCredParams":[{"type":"public-key","alg":-7}],"attestation":"none"}
            """.utf8))
        let get = ["get", "--origin", LayerBenchmarks.origin, "--options", getOptions, "--compact"]
        let create = ["create", "--origin", LayerBenchmarks.origin, "--options", createOptions, "--compact"]
        try createKeystore.save(as: ".pristine")
        let coldFiles = [executable, getOptions, createOptions, keystore.keyPath] + keystore.files + createKeystore.files

        struct Command {
            let name: String
            let run: () throws -> Double
        }
        func timed(_ binary: String, _ arguments: [String], _ environment: [String: String], cold: Bool = false) -> () throws -> Double {
            {
                if cold { for file in coldFiles { ScratchDirectory.evictFromPageCache(file) } }
                return try ChildRun.run(binary, arguments, environment: environment).wallSeconds * 1000
            }
        }
        var commands = [
            Command(name: "getWarm", run: timed(executable, get, keystore.environment)),
            Command(name: "getCold", run: timed(executable, get, keystore.environment, cold: true)),
            Command(name: "createWarm", run: timed(executable, create, createKeystore.environment)),
            Command(name: "createCold", run: timed(executable, create, createKeystore.environment, cold: true)),
            Command(name: "version", run: timed(executable, ["--version"], keystore.environment)),
        ]
        if let baseline {
            commands.append(Command(name: "baselineGetWarm", run: timed(baseline, get, keystore.environment)))
        }
        for command in commands { _ = try command.run() }  // page cache, dynamic linker cache
        var samples = [[Double]](repeating: [], count: commands.count)
        for round in 0..<rounds {
            // A create keystore of the same size every round: create adds a credential per run.
            try createKeystore.restore(from: ".pristine")
            for step in 0..<commands.count {
                let index = (step + round) % commands.count
                var walls: [Double] = []
                for _ in 0..<runsPerSlice { walls.append(try commands[index].run()) }
                samples[index].append(Statistic(walls).median)
            }
        }
        try createKeystore.restore(from: ".pristine")
        var group = MeasurementGroup(name: "cli")
        for (command, values) in zip(commands, samples) { group.add(command.name + "Ms", .milliseconds, Statistic(values)) }
        if let baselineIndex = commands.firstIndex(where: { $0.name == "baselineGetWarm" }) {
            group.ratio("getWarmMs/baselineGetWarmMs", samples: samples[0], over: samples[baselineIndex])
        }
        // Peak RSS, through GNU time (see ChildRun.peakRSS).
        var getRSS: [Double] = [], createRSS: [Double] = []
        for _ in 0..<3 {
            if let rss = try ChildRun.peakRSS(executable, get, environment: keystore.environment, scratch: scratch) { getRSS.append(rss) }
            if let rss = try ChildRun.peakRSS(executable, create, environment: createKeystore.environment, scratch: scratch) { createRSS.append(rss) }
        }
        try createKeystore.restore(from: ".pristine")
        if !getRSS.isEmpty { group.add("getPeakRssMB", .megabytes, Statistic(getRSS)) }
        if !createRSS.isEmpty { group.add("createPeakRssMB", .megabytes, Statistic(createRSS)) }
        group.notes.append("keystore of \(keystore.count) credentials under \(ScratchDirectory.parent(of: keystore.path)); \(runsPerSlice) runs per slice, the slice's median a sample")
        if baseline == nil { group.notes.append("no --baseline binary: the start-up ratio against another build is not measured") }
        group.load = probe.finish()
        return group
    }
}
